"""Severity of a rule and of its findings.

Kept out of the compiled engine (app.core.compiled): mypyc gives the classes it compiles a filler
docstring, which pydantic would publish as the enum's description in the OpenAPI document.
"""

from __future__ import annotations

from enum import StrEnum


class Severity(StrEnum):
    BLOCKING = "blocking"  # the grouper sends the stay to CMD 90 (FG "bloquante")
    WARNING = "warning"  # FG "non bloquante", or a coding-quality issue worth a look
    INFO = "info"  # purely informational
