"""The hospital's clock: dates that depend on "now" are the hospital's, in Paris, whatever zone the
server runs in (containers are usually kept in UTC). Standard library only: the parsers and the
block workers import it."""

from __future__ import annotations

from datetime import date, datetime
from typing import Final
from zoneinfo import ZoneInfo

HOSPITAL_TZ: Final = ZoneInfo("Europe/Paris")


def hospital_today() -> date:
    """The hospital's calendar day. The server's own (`date.today()`) is a day behind for one or two
    hours after midnight on a machine kept in UTC."""
    return datetime.now(HOSPITAL_TZ).date()
