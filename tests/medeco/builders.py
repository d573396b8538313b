"""Test-only builders of RSA and TRA lines and of grouper archives."""

from __future__ import annotations

import io
import zipfile

from app.medeco.rsa_writer import rsa_line

__all__ = ["archive", "rsa_line", "tra_csv", "tra_fixed"]


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
