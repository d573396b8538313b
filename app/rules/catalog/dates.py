"""Entry and exit dates of each RUM, and the chaining of the RUMs of a multi-unit stay."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from operator import attrgetter
from typing import Final

from app.ingestion.records import Rss
from app.rules.catalog._common import (
    BLOCKING,
    NONE,
    WARNING,
    date_rules,
    day,
    fg,
    fg_rule,
)
from app.rules.engine import Check, Hit, RuleContext, Severity, fr_date, hit, rule

# fmt: off
ENTRY: Final = date_rules("entry_date", "Date d'entrée", ("bad_date",),
    ("C020", "dates.entry_not_numeric",
    """The entry date is written JJMMAAAA with eight digits.

    Bad: entry_date = "4/3/2024".
    Good: entry_date = "04032024".
    """),
    ("C021", "dates.entry_invalid",
    """A numeric entry date must be a real calendar day.

    Bad: entry_date = "30022024".
    Good: entry_date = "29022024".
    """),
    missing=("C019", "dates.entry_missing", "Date d'entrée dans l'UM absente.",
    """Every RUM has an entry date.

    Bad: entry_date = "".
    Good: entry_date = "04032024".
    """))

EXIT: Final = date_rules("exit_date", "Date de sortie", ("bad_date",),
    ("C029", "dates.exit_not_numeric",
    """The exit date is written JJMMAAAA with eight digits.

    Bad: exit_date = "2024-03-06".
    Good: exit_date = "06032024".
    """),
    ("C030", "dates.exit_invalid",
    """A numeric exit date must be a real calendar day.

    Bad: exit_date = "31042024" (April has 30 days).
    Good: exit_date = "30042024".
    """),
    missing=("C028", "dates.exit_missing", "Date de sortie de l'UM absente.",
    """Every RUM has an exit date.

    Bad: exit_date = "".
    Good: exit_date = "06032024".
    """))
# fmt: on


def against_entry(field: str, wrong: Callable[[date, date], bool]) -> Check:
    """The check "no RUM's `field` is a date that `wrong` refuses next to the RUM's own entry date"
    (``wrong(value, entry)``), a hit giving that entry date; unusable dates are the format rules'.
    Gated (`unusual_identity_or_dates`), so rarely run: a generator."""
    read = attrgetter(field)

    def check_against_entry(rss: Rss, ctx: RuleContext) -> Iterable[Hit]:
        for i, rum in enumerate(rss.rums):
            raw = read(rum)
            value, entry = day(raw), day(rum.entry_date)
            if value is not None and entry is not None and wrong(value, entry):
                yield hit(i, field, raw, entry_date=fr_date(rum.entry_date))

    return check_against_entry


def _before(value: date, entry: date) -> bool:
    return value < entry


# fmt: off
exit_before_entry: Final = fg_rule("C032", "dates.exit_before_entry", BLOCKING,
    "Date de sortie {value_date} antérieure à la date d'entrée {entry_date}.",
    against_entry("exit_date", _before),
    """A RUM cannot end before it starts (same day is fine).

    Bad: entry_date = "06032024", exit_date = "04032024".
    Good: entry_date = "04032024", exit_date = "04032024".
    """, params=("entry_date",))
# fmt: on


@rule(
    "C023",
    "dates.chaining",
    Severity.BLOCKING,
    "Date d'entrée {value_date} différente de la date de sortie du RUM précédent ({previous_exit}).",
    reference=fg("C023"),
    params=("previous_exit",),
    when=("multi_rum",),
)
def chaining(rss: Rss, ctx: RuleContext) -> Iterable[Hit]:
    """In a multi-unit stay each RUM starts on the day the previous one ends.

    The grouper exempts a return from a temporary transfer (previous exit mode 0 and entry mode 0),
    whose gap is a matter for C050. Unusable dates are left to the date rules.

    Bad: RUM 1 exit "06032024", RUM 2 entry "07032024" (mutation 6/1 on both sides).
    Good: RUM 1 exit "06032024", RUM 2 entry "06032024".
    """
    rums = rss.rums
    hits: list[Hit] | None = None
    for i in range(1, len(rums)):
        previous, current = rums[i - 1], rums[i]
        if previous.exit_mode == "0" and current.entry_mode == "0":
            continue
        entry = day(current.entry_date)
        previous_exit = day(previous.exit_date)
        if entry is not None and previous_exit is not None and entry != previous_exit:
            if hits is None:
                hits = []
            hits.append(hit(i, "entry_date", current.entry_date, previous_exit=fr_date(previous.exit_date)))
    return hits or NONE


def _after_today(field: str) -> Check:
    """The check "no RUM's `field` is a day after `ctx.today`" (gated, so rarely run: a generator)."""
    read = attrgetter(field)

    def check_after_today(rss: Rss, ctx: RuleContext) -> Iterable[Hit]:
        today = ctx.today
        for i, rum in enumerate(rss.rums):
            raw = read(rum)
            value = day(raw)
            if value is not None and value > today:
                yield hit(i, field, raw, today=today.strftime("%d/%m/%Y"))

    return check_after_today


# fmt: off
entry_after_today: Final = fg_rule("C064", "dates.entry_after_today", WARNING,
    "Date d'entrée {value_date} postérieure à la date du jour ({today}).",
    _after_today("entry_date"),
    """An entry date cannot be in the future ("date système antérieure à la date d'entrée").

    Bad: entry_date = "04032099" checked on 1 January 2025.
    Good: entry_date = "04032024".
    """, params=("today",))

exit_after_today: Final = fg_rule("C065", "dates.exit_after_today", WARNING,
    "Date de sortie {value_date} postérieure à la date du jour ({today}).",
    _after_today("exit_date"),
    """An exit date cannot be in the future: the RUM describes a finished stay in the unit.

    Bad: exit_date = "06032099" checked on 1 January 2025.
    Good: exit_date = "06032024".
    """, params=("today",))
# fmt: on


@rule(
    "C077",
    "dates.entry_too_old",
    Severity.WARNING,
    "Date d'entrée {value_date} improbable car trop ancienne (avant 1985).",
    reference=fg("C077") + "; seuil 1985 de drd (Koromix/rygel)",
)
def entry_too_old(rss: Rss, ctx: RuleContext) -> Iterable[Hit]:
    """An entry date before 1985 is almost certainly a typing error.

    The threshold is the one of the open-source grouper drd; ATIH does not publish it.

    Bad: entry_date = "04031924".
    Good: entry_date = "04032024".
    """
    for i, rum in enumerate(rss.rums):
        entry = day(rum.entry_date)
        if entry is not None and entry.year < 1985:
            yield hit(i, "entry_date", rum.entry_date)


# fmt: off
LAST_MENSTRUAL: Final = date_rules("last_menstrual_date", "Date des dernières règles", ("perinatal",),
    ("C160", "dates.lmp_not_numeric",
    """When given, the date of the last menstrual period is written JJMMAAAA with eight digits.

    Bad: last_menstrual_date = "01/06/23".
    Good: last_menstrual_date = "01062023", or blank.
    """),
    ("C161", "dates.lmp_invalid",
    """A numeric date of the last menstrual period must be a real calendar day.

    Bad: last_menstrual_date = "31062023".
    Good: last_menstrual_date = "30062023".
    """))
# fmt: on


RULES = (
    *ENTRY,
    *EXIT,
    exit_before_entry,
    chaining,
    entry_after_today,
    exit_after_today,
    entry_too_old,
    *LAST_MENSTRUAL,
)
