from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Final

from pydantic import BaseModel, ConfigDict, Field, model_validator

from app.rules.engine import Requirement, Severity


@dataclass(frozen=True, slots=True)
class FindingCounts:
    """Findings detected in a batch (or chunk) by severity, and the rules that could not run."""

    blocking: int = 0
    warning: int = 0
    info: int = 0
    skipped: frozenset[str] = frozenset()

    def __add__(self, other: FindingCounts) -> FindingCounts:
        return FindingCounts(
            self.blocking + other.blocking,
            self.warning + other.warning,
            self.info + other.info,
            self.skipped | other.skipped,
        )

    @property
    def total(self) -> int:
        return self.blocking + self.warning + self.info

    def as_dict(self) -> dict[str, int]:
        """The per-severity counts, as stored in `rum_batch.findings`."""
        return {"blocking": self.blocking, "warning": self.warning, "info": self.info}


@dataclass(frozen=True, slots=True)
class FindingFilter:
    """What a findings listing narrows to; None: no condition. `severity` and `status` as stored
    (`status` None: every finding not closed); `pole` and `service` are those of the finding's UM
    in the structure valid on the RSS discharge date."""

    rss_number: str | None
    rule: str | None
    severity: str | None
    unit: str | None
    pole: str | None
    service: str | None
    date_from: date | None
    date_to: date | None
    status: str | None


class ReviewStatus(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    DISMISSED = "dismissed"


class FindingStatus(StrEnum):
    """Review status, or `closed` once a newer version of the RSS no longer triggers the finding."""

    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    DISMISSED = "dismissed"
    CLOSED = "closed"


# Review workflow of the DIM. A dismissal is a judgement ("not an error"), so it is only undone by
# reopening, never turned into an acknowledgement directly. Patching to the current status just
# updates the comment. A closed finding is history and cannot be reviewed.
TRANSITIONS: Final[dict[ReviewStatus, frozenset[ReviewStatus]]] = {
    ReviewStatus.OPEN: frozenset({ReviewStatus.OPEN, ReviewStatus.ACKNOWLEDGED, ReviewStatus.DISMISSED}),
    ReviewStatus.ACKNOWLEDGED: frozenset(
        {ReviewStatus.ACKNOWLEDGED, ReviewStatus.OPEN, ReviewStatus.DISMISSED}
    ),
    ReviewStatus.DISMISSED: frozenset({ReviewStatus.DISMISSED, ReviewStatus.OPEN}),
}


class FindingRead(BaseModel):
    id: int
    rule: str = Field(examples=["C067"])
    severity: Severity
    rss_number: str
    rum_number: str | None = Field(description="null for an RSS-level finding")
    field: str | None
    value: str | None
    message: str = Field(description="Rendered French message")
    status: FindingStatus
    comment: str | None
    unit: str = Field(description="UM of the RUM, or exit UM for an RSS-level finding")
    exit_date: date | None = Field(description="RSS discharge date")


class FindingPage(BaseModel):
    items: list[FindingRead]
    next_cursor: str | None = Field(description="Pass as `cursor` to get the next page; null at the end")


class FindingReview(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: ReviewStatus
    comment: str | None = Field(
        default=None,
        max_length=2000,
        description="Required to dismiss; when omitted the previous comment is kept",
    )

    @model_validator(mode="after")
    def _dismissal_is_justified(self) -> FindingReview:
        if self.status is ReviewStatus.DISMISSED and not (self.comment and self.comment.strip()):
            raise ValueError("a comment is required to dismiss a finding")
        return self


class SummaryCounts(BaseModel):
    open: int
    acknowledged: int
    dismissed: int
    findings: int = Field(description="Findings not closed: open + acknowledged + dismissed")


class SummaryRow(SummaryCounts):
    rule: str
    severity: Severity
    service: str | None = Field(description="Service of the UM at the discharge date; null if unmapped")


class FindingSummary(BaseModel):
    date_from: date | None = Field(serialization_alias="from")
    date_to: date | None = Field(serialization_alias="to")
    items: list[SummaryRow]
    total: SummaryCounts = Field(description="The sums of `items`")


class RuleRead(BaseModel):
    code: str
    name: str
    severity: Severity
    message: str
    reference: str
    needs: list[Requirement] = Field(
        description="References the rule runs with; `ccam_activities`: a CCAM that lists its acts' activities"
    )
    summary: str
    details: str
    bad: str
    good: str
    skipped: bool = Field(description="True while a reference it needs is not loaded (or lacks the column)")


class RuleList(BaseModel):
    items: list[RuleRead]


class ValidationRunResult(BaseModel):
    rss_checked: int
    findings_opened: int
    findings_closed: int
    findings_unchanged: int
    skipped_rules: list[str]
