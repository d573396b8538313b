"""Command-line options that several commands take alike, declared once."""

from __future__ import annotations

from typing import Annotated

import typer

# Every batch ingestion command: the CLI counterpart of the API's Idempotency-Key header.
IdempotencyKeyOption = Annotated[
    str | None, typer.Option(help="Key making retries safe, as the API's Idempotency-Key")
]
