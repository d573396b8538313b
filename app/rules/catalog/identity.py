"""Patient identity of the stay: RSS number, birth date, sex, and their constancy across RUMs."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date
from operator import attrgetter
from typing import Final

from app.ingestion.records import Rss, Rum
from app.rules.catalog._common import (
    BLOCKING,
    NONE,
    blank,
    date_rules,
    day,
    fg,
    fg_rule,
)
from app.rules.catalog.dates import against_entry
from app.rules.engine import Hit, RuleContext, Severity, fr_date, hit, rule

# fmt: off
rss_number_missing: Final = fg_rule("C011", "identity.rss_number_missing", BLOCKING,
    "N° de RSS absent.",
    blank("rss_number"),
    """Every RUM must carry the N° de RSS.

    The parser already rejects a line with a blank RSS number (it cannot be attached to a stay;
    line error `missing_rss_number` with `fg_code` C011), so on parsed files this rule only guards
    records built by other means.

    Bad: rss_number = "" on a RUM.
    Good: rss_number = "1000001".
    """, when=("blank",))

BIRTH_DATE: Final = date_rules("birth_date", "Date de naissance", ("bad_date",),
    ("C014", "identity.birth_date_not_numeric",
    """A birth date must be written JJMMAAAA with eight digits.

    Bad: birth_date = "15/06/50".
    Good: birth_date = "15061950".
    """),
    ("C039", "identity.birth_date_invalid",
    """A numeric birth date must be a real calendar day.

    Bad: birth_date = "31022020" (no 31 February).
    Good: birth_date = "29022020".
    """),
    missing=("C013", "identity.birth_date_missing", "Date de naissance absente.",
    """The birth date is mandatory on every RUM.

    Bad: birth_date = "" (blank).
    Good: birth_date = "15061950".
    """))
# fmt: on


def _implausible_birth(birth: date, entry: date) -> bool:
    return birth > entry or entry.year - birth.year > 140


# fmt: off
birth_date_implausible: Final = fg_rule("C015", "identity.birth_date_implausible", BLOCKING,
    "Date de naissance {value_date} improbable par rapport à la date d'entrée {entry_date} "
    "(postérieure, ou plus de 140 ans avant).",
    against_entry("birth_date", _implausible_birth),
    """The birth date must not be after the entry date nor more than 140 years before it.

    Checked on each RUM against its own entry date, only when both dates are valid (the other
    date rules report unusable dates). The 140 years are counted in calendar years, as the
    grouper does.

    Bad: birth_date = "05032024", entry_date = "04032024".
    Good: birth_date = "04032024", entry_date = "04032024" (born on the day of admission).
    """, params=("entry_date",))
# fmt: on


# fmt: off
sex_missing: Final = fg_rule("C016", "identity.sex_missing", BLOCKING,
    "Code sexe absent.",
    blank("sex"),
    """The sex code is mandatory on every RUM.

    Bad: sex = "".
    Good: sex = "2".
    """, when=("blank",))
# fmt: on


_SEX_CODES = frozenset({"1", "2"})


def _bad_sex(sex: str, version: str) -> bool:
    if not sex or sex in _SEX_CODES:
        return False
    return not (sex == "3" and version >= "022")


@rule(
    "C017",
    "identity.sex_invalid",
    Severity.BLOCKING,
    "Code sexe « {value} » erroné (1 homme, 2 femme, 3 indéterminé à partir du format 022).",
    reference=fg("C017") + "; formats ATIH 2022/2024 (sexe 3)",
)
def sex_invalid(rss: Rss, ctx: RuleContext) -> Iterable[Hit]:
    """The sex code is 1 (man) or 2 (woman); 3 (undetermined) exists from RUM format 022.

    Bad: sex = "M", or sex = "3" on a 021 RUM.
    Good: sex = "1", or sex = "3" on a 022 RUM of a newborn.
    """
    for rum in rss.rums:
        if _bad_sex(rum.sex, rum.version):
            break
    else:
        return NONE
    return [hit(i, "sex", rum.sex) for i, rum in enumerate(rss.rums) if _bad_sex(rum.sex, rum.version)]


_BIRTH_DATE: Final = attrgetter("birth_date")
_SEX: Final = attrgetter("sex")


def _usable_birth_date(rum: Rum) -> bool:
    return day(rum.birth_date) is not None


def _usable_sex(rum: Rum) -> bool:
    return bool(rum.sex) and not _bad_sex(rum.sex, rum.version)


def _changed(
    rss: Rss,
    field: str,
    get: Callable[[Rum], str],
    usable: Callable[[Rum], bool],
    shown: Callable[[str], str],
) -> Sequence[Hit]:
    """One hit per RUM whose `field` (read by `get`) differs from the previous RUM's, unless the
    RUM's own value is not `usable` (left to the format rules); `shown` renders the previous value."""
    rums = rss.rums
    hits: list[Hit] | None = None
    for i in range(1, len(rums)):
        current, previous = get(rums[i]), get(rums[i - 1])
        if current != previous and usable(rums[i]):
            if hits is None:
                hits = []
            hits.append(hit(i, field, current, previous=shown(previous)))
    return hits or NONE


@rule(
    "C045",
    "identity.birth_date_inconsistent",
    Severity.BLOCKING,
    "Date de naissance {value_date} différente de celle du RUM précédent ({previous}).",
    reference=fg("C045"),
    params=("previous",),
    when=("multi_rum",),
)
def birth_date_inconsistent(rss: Rss, ctx: RuleContext) -> Iterable[Hit]:
    """All the RUMs of a stay carry the same birth date.

    Each RUM is compared with the one before it, as the grouper does; a RUM whose own birth
    date is unusable is left to the date rules.

    Bad: RUM 1 born "15061950", RUM 2 born "16061950".
    Good: both RUMs born "15061950".
    """
    return _changed(rss, "birth_date", _BIRTH_DATE, _usable_birth_date, fr_date)


@rule(
    "C046",
    "identity.sex_inconsistent",
    Severity.BLOCKING,
    "Code sexe {value} différent de celui du RUM précédent ({previous}).",
    reference=fg("C046"),
    params=("previous",),
    when=("multi_rum",),
)
def sex_inconsistent(rss: Rss, ctx: RuleContext) -> Iterable[Hit]:
    """All the RUMs of a stay carry the same sex code.

    Each RUM is compared with the one before it; a RUM whose own code is invalid is left to C016/C017.

    Bad: RUM 1 sex "1", RUM 2 sex "2".
    Good: both RUMs sex "1".
    """
    return _changed(rss, "sex", _SEX, _usable_sex, str)


@rule(
    "C258",
    "identity.sex_undetermined_age",
    Severity.BLOCKING,
    "Sexe indéterminé (3) alors que le patient a {age_days} jours à la sortie de l'UM "
    "(réservé aux moins de 90 jours).",
    reference=fg("C258"),
    params=("age_days",),
)
def sex_undetermined_age(rss: Rss, ctx: RuleContext) -> Iterable[Hit]:
    """Sex 3 (undetermined) is only accepted for a patient under 90 days old at the UM exit.

    Bad: sex = "3", born "01012024", UM exit "01062024" (152 days old).
    Good: sex = "3", born "01032024", UM exit "06032024" (5 days old).
    """
    for i, rum in enumerate(rss.rums):
        if rum.sex != "3":
            continue
        birth = day(rum.birth_date)
        exit_day = day(rum.exit_date)
        if birth is None or exit_day is None:
            continue
        age = (exit_day - birth).days
        if age >= 90:
            yield hit(i, "sex", "3", age_days=age)


RULES = (
    rss_number_missing,
    *BIRTH_DATE,
    birth_date_implausible,
    sex_missing,
    sex_invalid,
    birth_date_inconsistent,
    sex_inconsistent,
    sex_undetermined_age,
)
