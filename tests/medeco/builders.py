"""Test-only builders of RSA and TRA lines and of grouper archives."""

from __future__ import annotations

import io
import zipfile

from app.ingestion.layouts import Kind
from app.medeco.rsa_layouts import AG_LENGTH, DA_LENGTH, LAYOUTS


def rsa_line(
    version: str = "228",
    *,
    index: int = 1,
    ghm: str = "04M143",
    ghs: str = "1187",
    los: int = 34,
    exit_month: int = 1,
    exit_year: int = 2024,
    seances: int = 0,
    exh_days: int = 0,
    exb_type: str = "0",
    exb_days: int = 0,
    ghs_minore: bool = False,
    supplements: dict[str, int] | None = None,
    radiotherapy: dict[str, int] | None = None,
    n_da: int = 1,
    n_za: int = 1,
    n_ag: int = 0,
) -> str:
    """A valid RSA line of `version` with one RUM zone, `n_da` diagnoses and `n_za` act zones."""
    layout = LAYOUTS[version]
    values: dict[str, str | int] = {
        "finess": "910019447", "format": version, "rsa_index": f"{index:010d}", "grouped_format": "122",
        "classification_version": "11", "ghm": ghm, "return_code": "000", "rum_count": 1,
        "exit_month": exit_month, "exit_year": exit_year, "los": los, "seances": seances, "ghs": ghs,
        "exh_days": exh_days, "exb_type": exb_type, "exb_days": exb_days,
        "ghs_minore": "1" if ghs_minore else "0", "n_da": n_da, "n_za": n_za,
        "n_rt": len(radiotherapy or {}), "dp": "J841",
    }  # fmt: skip
    if layout.field("n_ag") is not None:
        values["n_ag"] = n_ag
    values.update(supplements or {})
    parts = []
    for item in layout.fixed:
        value = values.get(item.name, 0 if item.kind is Kind.NUMERIC else "")
        text = str(value).zfill(item.length) if item.kind is Kind.NUMERIC else str(value).ljust(item.length)
        assert len(text) == item.length, (item.name, text)
        parts.append(text)
    parts.append("29" * n_ag)
    parts.extend(f"{code:>4}{count:03d}" for code, count in (radiotherapy or {}).items())
    parts.append("0" * layout.rum_length)
    parts.append("J189".ljust(DA_LENGTH) * n_da)
    parts.append("0" * layout.act_length * n_za)
    assert AG_LENGTH == 2
    return "".join(parts)


def tra_csv(*links: tuple[int, str, str]) -> bytes:
    """DRUIDES TRA lines for (index, rss_number, stay_number)."""
    return "".join(
        f"{index:010d};{rss:<20};{stay:<20};30112023;03012024;04M143;x@{rss}\r\n"
        for index, rss, stay in links
    ).encode()


def tra_fixed(*links: tuple[int, str, str]) -> bytes:
    return "".join(
        f"{index:010d}{rss:<20}{'1':<10}{stay:<20}3011202304M14303012024\r\n" for index, rss, stay in links
    ).encode()


def archive(rsa: bytes, tra: bytes, prefix: str = "910019447.2024.3") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zipped:
        zipped.writestr(f"{prefix}.rsa", rsa)
        zipped.writestr(f"{prefix}.tra.txt", tra)
        zipped.writestr(f"{prefix}.sta", b"")
    return buffer.getvalue()
