"""Exit statuses of the commands that load files: `dimqa ingest rss|ium|structure`, `dimqa rhs ingest`.

A script or a scheduler tells the outcomes apart without reading the output: everything stored,
nothing stored, or stored except some lines (the rejected ones are listed on stderr and in the
batch). 2 is Click's own status for a bad command line (unknown option, file not found)."""

from __future__ import annotations

from typing import Final

STORED: Final = 0  # every line stored, or the same file already received
REFUSED: Final = 1  # nothing stored: file refused, or every RSS of the batch rejected
USAGE: Final = 2  # the command line itself is wrong (Click)
PARTIAL: Final = 3  # stored, except the lines or RSS listed as rejected
