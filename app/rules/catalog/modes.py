"""Entry mode / provenance and exit mode / destination: values, and chaining along the stay.

Validity matrices: PMSI spec §4.2, from GENRSA 2022 and DRUIDES 2023 (controls 25/26/27 and
34/35/49), with the two extra refusals of the open-source grouper drd (entry 0 from HAD, mutation
from a réanimation unit coded R). Legacy provenances 5 and U (emergency passage, replaced by
position 170 from RUM 022) are still accepted with mode 8, as the FG tables do.

Finding values join mode and provenance/destination with a dash when both are given ("6-1").
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Final

from app.ingestion.records import Rss
from app.rules.catalog._common import BLOCKING, NONE, blank, day, fg, fg_rule
from app.rules.engine import Check, Hit, Rule, RuleContext, Severity, hit, rule

ENTRY_MATRIX: Final[Mapping[str, frozenset[str]]] = {
    "8": frozenset({"", "5", "7", "U"}),
    "7": frozenset({"1", "2", "3", "4", "6", "R"}),
    "6": frozenset({"1", "2", "3", "4", "6"}),
    "0": frozenset({"1", "2", "3", "4", "R"}),
    "N": frozenset({""}),
    "O": frozenset({""}),  # letter O: patient entered deceased for organ procurement
}
EXIT_MATRIX: Final[Mapping[str, frozenset[str]]] = {
    "9": frozenset({""}),
    "8": frozenset({"", "7"}),
    "7": frozenset({"1", "2", "3", "4", "6"}),
    "6": frozenset({"1", "2", "3", "4", "6"}),
    "0": frozenset({"1", "2", "3", "4"}),
}
# Modes whose provenance / destination is mandatory: a blank one is C053 / C054, not C025 / C034.
NEEDS_ORIGIN: Final = frozenset({"6", "7", "0"})


# The combinations no rule of this module questions anywhere in a stay: the ATIH table less the
# modes with their own checks (0, temporary transfer; N and O, valid from a date) and less a blank
# mandatory provenance or destination (C053, C054).
_USUAL_ENTRIES: Final[Mapping[str, frozenset[str]]] = {
    mode: ENTRY_MATRIX[mode] - {""} if mode in NEEDS_ORIGIN else ENTRY_MATRIX[mode]
    for mode in ("8", "7", "6")
}
_USUAL_EXITS: Final[Mapping[str, frozenset[str]]] = {
    mode: EXIT_MATRIX[mode] - {""} if mode in NEEDS_ORIGIN else EXIT_MATRIX[mode]
    for mode in ("9", "8", "7", "6")
}
_NONE_ALLOWED: Final[frozenset[str]] = frozenset()


def unusual_modes(rss: Rss, ctx: RuleContext) -> bool:
    """Some RUM's entry or exit is outside the usual combinations, or the stay starts or ends
    with a mutation 6-1: false on most stays, whose mode rules (C025, C026, C034, C035, C050,
    C053, C054) then find nothing."""
    rums = rss.rums
    for rum in rums:
        if rum.provenance not in _USUAL_ENTRIES.get(rum.entry_mode, _NONE_ALLOWED):
            return True
        if rum.destination not in _USUAL_EXITS.get(rum.exit_mode, _NONE_ALLOWED):
            return True
    first, last = rums[0], rums[-1]
    return (first.entry_mode == "6" and first.provenance == "1") or (
        last.exit_mode == "6" and last.destination == "1"
    )


def _pair(mode: str, other: str) -> str:
    return f"{mode}-{other}" if other else mode


# The checks below come in two sides: the entry (mode, provenance) of a RUM, or its exit (mode,
# destination). `entry` picks the side; the FG controls are the same test on either side.


def _origin_missing(entry: bool) -> Check:
    """The check "every RUM whose entry (exit) mode needs a provenance (destination) gives it"."""
    field = "provenance" if entry else "destination"

    def check_origin_missing(rss: Rss, ctx: RuleContext) -> Sequence[Hit]:
        hits: list[Hit] | None = None
        for i, rum in enumerate(rss.rums):
            if entry:
                mode, other = rum.entry_mode, rum.provenance
            else:
                mode, other = rum.exit_mode, rum.destination
            if not other and mode in NEEDS_ORIGIN:
                if hits is None:
                    hits = []
                hits.append(hit(i, field, "", mode=mode))
        return hits or NONE

    return check_origin_missing


def _outside_matrix(matrix: Mapping[str, frozenset[str]], mode: str, other: str) -> bool:
    """A mode (entry or exit) with its provenance or destination outside the ATIH table; a blank
    mode is another rule's, and so is a blank mandatory provenance or destination (C053, C054)."""
    if not mode:
        return False
    allowed = matrix.get(mode)
    if allowed is None:
        return True
    return other not in allowed and not (not other and mode in NEEDS_ORIGIN)


# Entry modes created after the others, with the first exit date they are valid for: N (birth in
# the hospital) from 1 March 2019 (drd `mco_classifier.cc`: C025 for an earlier exit), O (patient
# entered deceased for organ procurement) from 1 March 2024 (RUM formats of 2024, spec PMSI §4.2).
ENTRY_MODE_FROM: Final[Mapping[str, date]] = {"N": date(2019, 3, 1), "O": date(2024, 3, 1)}
_MATRIX_REASON: Final = "combinaison hors de la table ATIH"


def _entry_reason(mode: str, provenance: str, exit_day: date | None) -> str:
    """Why an entry mode / provenance is refused ("" when it is not)."""
    if _outside_matrix(ENTRY_MATRIX, mode, provenance):
        return _MATRIX_REASON
    start = ENTRY_MODE_FROM.get(mode)
    if start is not None and exit_day is not None and exit_day < start:
        return f"mode {mode} valable pour les sorties à partir du {start.strftime('%d/%m/%Y')}"
    return ""


def _invalid(entry: bool) -> Check:
    """The check "every RUM's entry (exit) mode and provenance (destination) form a combination
    of the ATIH table", the entry mode being also valid at the stay's exit date (`ENTRY_MODE_FROM`);
    an entry hit says why (``reason``)."""

    def check_invalid(rss: Rss, ctx: RuleContext) -> Sequence[Hit]:
        exit_day = day(rss.rums[-1].exit_date) if entry else None
        hits: list[Hit] | None = None
        for i, rum in enumerate(rss.rums):
            if entry:
                reason = _entry_reason(rum.entry_mode, rum.provenance, exit_day)
                if reason:
                    if hits is None:
                        hits = []
                    hits.append(hit(i, "entry_mode", _pair(rum.entry_mode, rum.provenance), reason=reason))
            elif _outside_matrix(EXIT_MATRIX, rum.exit_mode, rum.destination):
                if hits is None:
                    hits = []
                hits.append(hit(i, "exit_mode", _pair(rum.exit_mode, rum.destination)))
        return hits or NONE

    return check_invalid


def _temporary_mismatch(rss: Rss) -> bool:
    """A stay for an inter-hospital service starts *and* ends with mode 0, or neither."""
    return (rss.rums[0].entry_mode == "0") != (rss.rums[-1].exit_mode == "0")


def _stay_end(entry: bool) -> Check:
    """The check "the stay neither starts (ends) by a mutation 6-1 from (to) another MCO unit, nor
    by a temporary transfer (mode 0) that its other end lacks" (C026 for the entry, C035 the exit)."""

    def check_stay_end(rss: Rss, ctx: RuleContext) -> Sequence[Hit]:
        index = 0 if entry else len(rss.rums) - 1
        rum = rss.rums[index]
        if entry:
            mode, other = rum.entry_mode, rum.provenance
        else:
            mode, other = rum.exit_mode, rum.destination
        if (mode == "6" and other == "1") or _temporary_mismatch(rss):
            return (hit(index, "entry_mode" if entry else "exit_mode", _pair(mode, other)),)
        return NONE

    return check_stay_end


def _mutation_chain(entry: bool) -> Check:
    """The check "every RUM after the first enters (every RUM but the last exits) by mutation 6-1
    from (to) an MCO unit", a temporary transfer (exit 0 then entry 0) excepted; the mode facing
    across the junction is the other RUM's exit (entry). A blank mode is C024's (C033's)."""
    field = "entry_mode" if entry else "exit_mode"

    def check_mutation_chain(rss: Rss, ctx: RuleContext) -> Sequence[Hit]:
        rums = rss.rums
        hits: list[Hit] | None = None
        for i in range(1, len(rums)):
            before, after = rums[i - 1], rums[i]
            if entry:
                index, mode, other, facing = i, after.entry_mode, after.provenance, before.exit_mode
            else:
                index, mode, other, facing = i - 1, before.exit_mode, before.destination, after.entry_mode
            if not mode or (mode == "0" and facing == "0"):
                continue
            if facing == "0" or mode != "6" or other != "1":
                if hits is None:
                    hits = []
                hits.append(hit(index, field, _pair(mode, other)))
        return hits or NONE

    return check_mutation_chain


def _mode_missing(code: str, name: str, field: str, message: str, doc: str) -> Rule:
    """The rule "every RUM fills its mode `field`" (entry or exit: C024, C033)."""
    return fg_rule(code, name, BLOCKING, message, blank(field), doc, when=("blank",))


# Every RUM gives its entry (exit) mode.
# fmt: off
entry_missing: Final = _mode_missing("C024", "modes.entry_missing", "entry_mode",
    "Mode d'entrée dans l'UM absent.",
    """Every RUM has an entry mode.

    Bad: entry_mode = "".
    Good: entry_mode = "8" (domicile).
    """)

exit_missing: Final = _mode_missing("C033", "modes.exit_missing", "exit_mode",
    "Mode de sortie de l'UM absent.",
    """Every RUM has an exit mode.

    Bad: exit_mode = "".
    Good: exit_mode = "8" (domicile).
    """)
# fmt: on


# A mode that needs a provenance (destination) has one.
# fmt: off
provenance_missing: Final = fg_rule("C053", "modes.provenance_missing", BLOCKING,
    "Provenance absente alors que le mode d'entrée est {mode} (provenance obligatoire pour 6, 7 et 0).",
    _origin_missing(entry=True),
    """A mutation (6), a transfer (7) or a temporary transfer (0) must say where the patient came from.

    Bad: entry_mode = "7", provenance = "".
    Good: entry_mode = "7", provenance = "1" (MCO).
    """, params=("mode",))

destination_missing: Final = fg_rule("C054", "modes.destination_missing", BLOCKING,
    "Destination absente alors que le mode de sortie est {mode} (destination obligatoire pour 6, 7 "
    "et 0).",
    _origin_missing(entry=False),
    """A mutation (6), a transfer (7) or a temporary transfer (0) must say where the patient goes.

    Bad: exit_mode = "6", destination = "".
    Good: exit_mode = "6", destination = "1" (MCO).
    """, params=("mode",))
# fmt: on


# The mode and its provenance (destination) form a combination of the ATIH table.
# fmt: off
entry_invalid: Final = fg_rule("C025", "modes.entry_invalid", BLOCKING,
    "Mode d'entrée / provenance « {value} » erroné ({reason}).",
    _invalid(entry=True),
    """The entry mode and provenance must form a combination of the ATIH table, valid at the exit date.

    8 (domicile) takes no provenance (or legacy 5/U, or 7); 7 takes 1, 2, 3, 4, 6 or R; 6 takes
    1, 2, 3, 4 or 6; 0 takes 1, 2, 3, 4 or R; N (birth) and O (organ procurement) take none.
    Mode N exists for stays discharged from 01/03/2019, mode O from 01/03/2024 (the stay's exit
    date, that of its last RUM, as the grouper reads its tables; an unreadable one is left to the
    date controls).

    Bad: entry_mode = "8", provenance = "1"; or entry_mode = "9"; or entry_mode = "N" in a stay
    discharged on 15/02/2019.
    Good: entry_mode = "8", provenance = ""; or entry_mode = "N" discharged on 04/03/2024.
    """, reference=fg("C025") + "; table mode d'entrée / provenance, spec PMSI §4.2; mode N depuis le "
    "01/03/2019 (drd), mode O depuis le 01/03/2024", params=("reason",))

exit_invalid: Final = fg_rule("C034", "modes.exit_invalid", BLOCKING,
    "Mode de sortie / destination « {value} » erroné (combinaison hors de la table ATIH).",
    _invalid(entry=False),
    """The exit mode and destination must form a combination of the ATIH table.

    9 (death) takes no destination; 8 (domicile) none or 7 (médico-social); 7 and 6 take 1, 2, 3,
    4 or 6; 0 takes 1, 2, 3 or 4.

    Bad: exit_mode = "9", destination = "1"; or exit_mode = "5".
    Good: exit_mode = "9", destination = "".
    """, reference=fg("C034") + "; table mode de sortie / destination, spec PMSI §4.2")
# fmt: on


# The stay neither starts nor ends by a mutation from (to) another MCO unit.
# fmt: off
entry_first_rum: Final = fg_rule("C026", "modes.entry_first_rum", BLOCKING,
    "Mode d'entrée / provenance « {value} » incorrect pour commencer un RSS.",
    _stay_end(entry=True),
    """The first RUM cannot start by an internal mutation from another MCO unit (6-1).

    A stay starting with a temporary transfer (entry 0) must also end with one (exit 0), and
    conversely: either end is reported (here the entry, the exit by C035).

    Bad: first RUM entry_mode = "6", provenance = "1"; or entry "0-1" with a last exit "8".
    Good: first RUM entry_mode = "8"; or entry "0-1" with a last exit "0-1".
    """)

exit_last_rum: Final = fg_rule("C035", "modes.exit_last_rum", BLOCKING,
    "Mode de sortie / destination « {value} » incorrect pour clore un RSS.",
    _stay_end(entry=False),
    """The last RUM cannot end by an internal mutation to another MCO unit (6-1).

    A stay ending with a temporary transfer (exit 0) must also have started with one (entry 0),
    and conversely (the entry end is reported by C026).

    Bad: last RUM exit_mode = "6", destination = "1".
    Good: last RUM exit_mode = "8"; or "6-2" (mutation to an SMR unit of the hospital).
    """)
# fmt: on


# Between two RUMs of a stay, a mutation 6-1.
# fmt: off
entry_following_rum: Final = fg_rule("C027", "modes.entry_following_rum", BLOCKING,
    "Mode d'entrée / provenance « {value} » incorrect sur un RUM de suite (mutation 6-1 attendue).",
    _mutation_chain(entry=True),
    """Every RUM after the first enters by mutation from an MCO unit (6-1).

    Exception: back from a temporary transfer, the previous RUM exits with 0 and this one enters
    with 0. A blank mode is left to C024.

    Bad: RUM 2 entry_mode = "8".
    Good: RUM 2 entry_mode = "6", provenance = "1".
    """, when=("multi_rum",))

exit_non_final_rum: Final = fg_rule("C049", "modes.exit_non_final_rum", BLOCKING,
    "Mode de sortie / destination « {value} » incorrect pour un RUM autre que le dernier "
    "(mutation 6-1 attendue).",
    _mutation_chain(entry=False),
    """Every RUM but the last exits by mutation to an MCO unit (6-1).

    Exception: a temporary transfer (exit 0) followed by a RUM entering with 0. A blank mode is
    left to C033.

    Bad: RUM 1 of 2 exit_mode = "8".
    Good: RUM 1 of 2 exit_mode = "6", destination = "1".
    """, when=("multi_rum",))
# fmt: on


@rule(
    "C050",
    "modes.temporary_transfer_too_long",
    Severity.BLOCKING,
    "Prestation inter-établissement de {days} jours : incompatible avec le principe "
    "administratif (au plus 1 jour).",
    reference=fg("C050"),
    params=("days",),
)
def temporary_transfer_too_long(rss: Rss, ctx: RuleContext) -> Iterable[Hit]:
    """A stay for an inter-hospital service (entry 0 and exit 0) lasts at most one day.

    Inside a stay, a temporary transfer (exit 0, then entry 0) cannot leave a gap of more than
    one day either.

    Bad: entry "0-1" on 04/03, exit "0-1" on 07/03 (3 days).
    Good: entry "0-1" on 04/03, exit "0-1" on 05/03.
    """
    rums = rss.rums
    hits: list[Hit] | None = None
    first, last = rums[0], rums[-1]
    if first.entry_mode == "0" and last.exit_mode == "0":
        entry, exit_day = day(first.entry_date), day(last.exit_date)
        if entry is not None and exit_day is not None and (exit_day - entry).days > 1:
            hits = [hit(None, "exit_date", last.exit_date, days=(exit_day - entry).days)]
    for i in range(1, len(rums)):
        previous, current = rums[i - 1], rums[i]
        if previous.exit_mode == "0" and current.entry_mode == "0":
            left, back = day(previous.exit_date), day(current.entry_date)
            if left is not None and back is not None and (back - left).days not in (0, 1):
                if hits is None:
                    hits = []
                hits.append(hit(i, "entry_date", current.entry_date, days=(back - left).days))
    return hits or NONE


RULES = (
    entry_missing,
    provenance_missing,
    entry_invalid,
    entry_first_rum,
    entry_following_rum,
    exit_missing,
    destination_missing,
    exit_invalid,
    exit_last_rum,
    exit_non_final_rum,
    temporary_transfer_too_long,
)
