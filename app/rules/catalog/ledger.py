"""The ledger of rule codes: every code ever issued, and those retired. A code is never reused.

A finding is stored with its rule code, and the DIM reviews and counts findings by code across
years: a code that came to mean another check would mix two rules in their history. So this
ledger only grows. A new rule adds its code here in the same change; a rule that is removed keeps
its code here and adds it to `RETIRED_CODES`, which `build_registry` refuses to register again.
"""

from __future__ import annotations

from typing import Final

# fmt: off
ISSUED_CODES: Final[frozenset[str]] = frozenset(
    {
        # Issue 17: the table-free grouper controls not covered until then.
        "C076", "C081", "C126", "C129", "C143", "C145", "C147", "C162", "C163", "C164",
        "C165", "C166", "C168", "C174", "C179", "C184", "C189", "C190", "C191", "C142",
        "C253", "C261", "C262",
        # Issue 17: nomenclatures by year, atypia a DIM audits before sending.
        "Q015", "Q016", "Q017", "Q018", "Q019", "Q020",
        # The ledger as started (89 FG controls, Q001-Q012).
        "C011", "C013", "C014", "C015", "C016", "C017", "C019", "C020", "C021", "C023",
        "C024", "C025", "C026", "C027", "C028", "C029", "C030", "C032", "C033", "C034",
        "C035", "C036", "C037", "C039", "C040", "C041", "C042", "C043", "C045", "C046",
        "C049", "C050", "C051", "C052", "C053", "C054", "C062", "C064", "C065", "C066",
        "C067", "C068", "C070", "C071", "C073", "C077", "C078", "C079", "C082", "C083",
        "C094", "C095", "C100", "C102", "C103", "C110", "C111", "C113", "C114", "C115",
        "C116", "C117", "C118", "C119", "C121", "C122", "C123", "C125", "C127", "C128",
        "C146", "C150", "C151", "C160", "C161", "C169", "C170", "C173", "C185", "C187",
        "C188", "C195", "C196", "C197", "C198", "C251", "C256", "C257", "C258", "Q001",
        "Q002", "Q003", "Q004", "Q005", "Q006", "Q007", "Q008", "Q009", "Q010", "Q011",
        "Q012", "Q013", "Q014",
    }
)
# fmt: on

# Codes of removed rules (none yet): never registered again.
RETIRED_CODES: Final[frozenset[str]] = frozenset()
