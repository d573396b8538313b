"""The grouper's output as delivered: its RSA and TRA files, from a DRUIDES/GENRSA archive or apart.

No database here. Their lines are read by app.medeco.rsa_reader (compiled).
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class GrouperOutput:
    rsa: bytes
    tra: bytes
    rsa_name: str
    tra_name: str


class ArchiveError(ValueError):
    """The archive cannot be read, or lacks its RSA or TRA member."""


class ArchiveTooLarge(ArchiveError):
    """A member of the archive is over the decompressed size limit."""


def read_archive(data: bytes, max_bytes: int) -> GrouperOutput:
    """The RSA (`*.rsa`) and TRA (`*.tra.txt`, else `*.tra`) members of a DRUIDES/GENRSA `*.out.zip`.

    ArchiveTooLarge when a member would decompress beyond `max_bytes` (checked before reading it)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as error:
        raise ArchiveError(f"the archive is not a readable ZIP file: {error}") from None
    with archive:
        names = archive.namelist()
        rsa = [name for name in names if name.lower().endswith(".rsa")]
        tra = [name for name in names if name.lower().endswith(".tra.txt")] or [
            name for name in names if name.lower().endswith(".tra")
        ]
        for what, found in (("RSA (*.rsa)", rsa), ("TRA (*.tra.txt or *.tra)", tra)):
            if len(found) != 1:
                raise ArchiveError(f"the archive must hold exactly one {what} file; it holds {len(found)}")
        for name in (rsa[0], tra[0]):
            if archive.getinfo(name).file_size > max_bytes:
                raise ArchiveTooLarge(f"{name} is larger than {max_bytes} bytes once decompressed")
        try:
            return GrouperOutput(archive.read(rsa[0]), archive.read(tra[0]), rsa[0], tra[0])
        except (zipfile.BadZipFile, OSError, NotImplementedError) as error:
            raise ArchiveError(f"a member of the archive cannot be read: {error}") from None
