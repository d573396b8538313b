"""In-memory RUM/RSS records: the contract between the parser, the writer, storage and the rules.

Every field keeps the text found in the file (stripped of padding), so the rules can tell
"absent" from "not numeric" from "impossible" exactly as the grouper does. Typed views
(`as_date`, `as_int`) are computed on demand.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


def as_date(raw: str) -> date | None:
    """JJMMAAAA -> date, or None when blank, non-numeric or not a calendar date."""
    if len(raw) != 8 or not raw.isdigit():
        return None
    try:
        return date(int(raw[4:8]), int(raw[2:4]), int(raw[0:2]))
    except ValueError:
        return None


def as_int(raw: str) -> int | None:
    """Numeric field -> int; space-padded counters (' 2') are accepted, blanks give None."""
    text = raw.strip()
    # isascii: str.isdigit() also accepts characters such as "²" that int() rejects.
    if not text or not (text.isascii() and text.isdigit()):
        return None
    return int(text)


@dataclass(slots=True)
class Act:
    """One CCAM act zone (26, 29 or 32 characters depending on the RUM version)."""

    date: str = ""
    code: str = ""
    extension: str = ""  # "extension PMSI/ATIH" ("-01"), from 017 on
    phase: str = ""
    activity: str = ""
    doc_extension: str = ""
    modifiers: str = ""
    exceptional_refund: str = ""
    unplanned_association: str = ""
    count: str = ""
    dialysis_start: str = ""  # 023 only
    dialysis_modality: str = ""  # 023 only


@dataclass(slots=True)
class Rum:
    """One RUM line (one stay in one medical unit), grouped or not."""

    line: int = 0  # 1-based line number in the batch
    version: str = "022"  # RUM format ("016".."023"), also for grouped lines
    grouped: bool = False
    classification_version: str = ""  # grouped prefix
    ghm: str = ""  # grouped prefix, 6 characters (CMD + 4)
    return_code: str = ""  # grouped prefix, "000" when none
    finess: str = ""
    rss_number: str = ""
    admin_number: str = ""  # N° administratif local de séjour (the HIS stay number)
    rum_number: str = ""
    birth_date: str = ""
    sex: str = ""
    unit: str = ""
    dedicated_bed: str = ""
    entry_date: str = ""
    entry_mode: str = ""
    provenance: str = ""
    exit_date: str = ""
    exit_mode: str = ""
    destination: str = ""
    postcode: str = ""
    newborn_weight: str = ""
    gestational_age: str = ""
    last_menstrual_date: str = ""
    seances: str = ""
    dp: str = ""
    dr: str = ""
    igs2: str = ""
    confirmation: str = ""
    rt_machine: str = ""
    rt_dosimetry: str = ""
    innovation_number: str = ""
    # Version-specific fixed fields (positions 163-190), by their layout name, e.g.
    # conversion_hc, raac, patient_context, reserve_product, rescrit, intervention_category,
    # non_programmed, emergency, reserved, ivg_count, ... Absent key = not in this version.
    extra: dict[str, str] = field(default_factory=dict)
    das: list[str] = field(default_factory=list)
    dads: list[str] = field(default_factory=list)
    acts: list[Act] = field(default_factory=list)

    @property
    def cmd(self) -> str:
        return self.ghm[:2]

    @property
    def format_code(self) -> str:
        """The format as written at positions 10-12: "022", or "122" for a grouped line."""
        return "1" + self.version[1:] if self.grouped else self.version


@dataclass(slots=True)
class Rss:
    """A stay: the consecutive RUMs sharing one N° de RSS, in file order."""

    rss_number: str
    rums: list[Rum]

    @property
    def first(self) -> Rum:
        return self.rums[0]

    @property
    def last(self) -> Rum:
        return self.rums[-1]

    @property
    def entry_date(self) -> date | None:
        return as_date(self.first.entry_date)

    @property
    def exit_date(self) -> date | None:
        return as_date(self.last.exit_date)

    @property
    def ghm(self) -> str:
        return self.first.ghm

    @property
    def seances(self) -> int:
        return sum(as_int(rum.seances) or 0 for rum in self.rums)

    @property
    def care_type(self) -> str:
        """Type of care per the hospital's counting rules: seance, zero_day or complete."""
        if self.ghm[:2] == "28" or (not self.ghm and self.seances > 0):
            return "seance"
        if self.entry_date is not None and self.entry_date == self.exit_date:
            return "zero_day"
        return "complete"
