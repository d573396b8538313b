"""Pure readers of the supplement tariffs and the campaign coefficients (docs/tariffs.md).

Same input rules as the other nomenclature files (app.reference.loaders: gzip or plain, UTF-8 or
Windows-1252, separator from the header, names case-insensitive, ATIH-style aliases).

* Supplement tariffs: ``campaign;code;label;tariff[;effective_date]``, one row per supplement and
  campaign. `code` is a supplement code of the RSA (REA, STF_REA, STF, USIP, SRC, NN1, NN2, NN3, REP,
  HD, EDPA, EDPCA, EHD, APH, RTP, ANT, CAISSON) or a 4-digit GHS number (radiotherapy supplements
  counted in the RSA's radiotherapy zones, e.g. 9610). `tariff` in euros, `.` or `,` decimal mark.
* Coefficients: ``prudential;geographic[;campaign]``, one row: coefficient prudentiel and
  coefficient géographique (e.g. 0.993 and 1.07 give 1.06251); each between 0 (excluded) and 2.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Final

from app.core.config import DEFAULT_MAX_DECOMPRESSED_BYTES
from app.core.line_errors import LineError
from app.medeco.rsa_layouts import SUPPLEMENT_CODES
from app.reference.loaders import Source, _Columns, _parse_date, _rows

_SUPPLEMENT_COLUMNS: Final = _Columns(
    ("campaign", "code", "tariff"),
    {
        "campaign": ("campaign", "anseqta", "year", "annee"),
        "code": ("code", "supplement", "code_supplement"),
        "label": ("label", "libelle"),
        "tariff": ("tariff", "tarif"),
        "effective_date": ("effective_date", "date_effet"),
    },
)
_COEFFICIENT_COLUMNS: Final = _Columns(
    ("prudential", "geographic"),
    {
        "prudential": ("prudential", "coefficient_prudentiel", "prudentiel"),
        "geographic": ("geographic", "coefficient_geographique", "geographique"),
        "campaign": ("campaign", "anseqta", "year", "annee"),
    },
)
_GHS: Final = re.compile(r"[0-9]{4}")
KNOWN_CODES: Final = frozenset(SUPPLEMENT_CODES.values())


@dataclass(frozen=True, slots=True)
class SupplementTariffRow:
    campaign: int
    code: str
    label: str
    tariff: Decimal
    effective_date: date | None


@dataclass(frozen=True, slots=True)
class CoefficientRow:
    prudential: Decimal
    geographic: Decimal
    campaign: int | None


def _decimal(value: str) -> Decimal | None:
    try:
        number = Decimal(value.replace(",", ".").replace(" ", ""))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _campaign(line: int, raw: str) -> int | LineError | None:
    if not raw:
        return None
    if not (raw.isascii() and raw.isdigit() and len(raw) == 4):
        return LineError(line, "campaign", "invalid_value", f"campaign {raw!r} is not a year")
    return int(raw)


def read_supplement_tariffs(
    source: Source, *, max_bytes: int = DEFAULT_MAX_DECOMPRESSED_BYTES
) -> Iterator[SupplementTariffRow | LineError]:
    seen: set[tuple[int, str]] = set()
    for item in _rows(source, _SUPPLEMENT_COLUMNS, "supplement tariff", max_bytes):
        if isinstance(item, LineError):
            yield item
            continue
        line, values = item
        campaign = _campaign(line, values["campaign"])
        if campaign is None or isinstance(campaign, LineError):
            yield campaign or LineError(line, "campaign", "missing_value", "campaign is blank")
            continue
        code = values["code"].upper()
        if code not in KNOWN_CODES and not _GHS.fullmatch(code):
            yield LineError(
                line, "code", "invalid_code",
                f"{values['code']!r} is neither a supplement code ({', '.join(sorted(KNOWN_CODES))}) "
                "nor a 4-digit GHS number",
            )  # fmt: skip
            continue
        tariff = _decimal(values["tariff"])
        if tariff is None or tariff < 0 or tariff >= 10**10:
            yield LineError(
                line, "tariff", "invalid_value", f"tariff {values['tariff']!r} of {code} is not a price"
            )
            continue
        try:
            effective = _parse_date(values.get("effective_date", ""))
        except ValueError:
            yield LineError(
                line, "effective_date", "invalid_date", f"{values['effective_date']!r} is not a date"
            )
            continue
        if (campaign, code) in seen:
            yield LineError(line, "code", "duplicate_code", f"{code} is listed twice for {campaign}")
            continue
        seen.add((campaign, code))
        yield SupplementTariffRow(campaign, code, values.get("label", "") or code, tariff, effective)


def read_coefficients(
    source: Source, *, max_bytes: int = DEFAULT_MAX_DECOMPRESSED_BYTES
) -> Iterator[CoefficientRow | LineError]:
    for item in _rows(source, _COEFFICIENT_COLUMNS, "coefficient", max_bytes):
        if isinstance(item, LineError):
            yield item
            continue
        line, values = item
        campaign = _campaign(line, values.get("campaign", ""))
        if isinstance(campaign, LineError):
            yield campaign
            continue
        numbers: list[Decimal] = []
        for name in ("prudential", "geographic"):
            number = _decimal(values[name])
            if number is None or not 0 < number <= 2:
                yield LineError(line, name, "invalid_value", f"{name} {values[name]!r} is not in ]0, 2]")
                break
            numbers.append(number)
        else:
            yield CoefficientRow(numbers[0], numbers[1], campaign)
