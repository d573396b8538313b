"""Cases of the date rules (entry, exit, chaining, system date, last menstrual period)."""

from tests.rules.cases._support import BARE_CTX, Case, fails, one, passes, stay

CASES: list[Case] = [
    fails("C019", "blank", one(entry_date=""), (0, "entry_date", "")),
    passes("C019", "present", one()),
    fails("C020", "slashes", one(entry_date="4/3/2024"), (0, "entry_date", "4/3/2024")),
    passes("C020", "digits", one()),
    fails("C021", "30 february", one(entry_date="30022024"), (0, "entry_date", "30022024")),
    passes("C021", "29 february 2024", one(entry_date="29022024")),
    fails("C028", "blank", one(exit_date=""), (0, "exit_date", "")),
    passes("C028", "present", one()),
    fails("C029", "dashes", one(exit_date="06-03-24"), (0, "exit_date", "06-03-24")),
    passes("C029", "digits", one()),
    fails("C030", "31 april", one(exit_date="31042024"), (0, "exit_date", "31042024")),
    passes("C030", "30 april", one(exit_date="30042024")),
    fails(
        "C032",
        "exit before entry",
        one(entry_date="06032024", exit_date="04032024"),
        (0, "exit_date", "04032024"),
    ),
    passes("C032", "same day", one(exit_date="04032024")),
    fails(
        "C023",
        "one-day gap",
        stay(2, {1: {"entry_date": "07032024", "exit_date": "09032024"}}),
        (1, "entry_date", "07032024"),
    ),
    passes("C023", "chained", stay(3)),
    passes(
        "C023",
        "back from a temporary transfer",
        stay(
            2,
            {
                0: {"exit_mode": "0", "destination": "1"},
                1: {"entry_mode": "0", "provenance": "1", "entry_date": "07032024", "exit_date": "09032024"},
            },
        ),
    ),
    fails(
        "C064",
        "entry in the future",
        one(entry_date="04032099", exit_date="06032099"),
        (0, "entry_date", "04032099"),
        ctx=BARE_CTX,
    ),
    passes("C064", "past stay", one(), ctx=BARE_CTX),
    fails("C065", "exit in the future", one(exit_date="06032099"), (0, "exit_date", "06032099")),
    passes("C065", "past stay", one()),
    fails("C077", "1924", one(entry_date="04031924"), (0, "entry_date", "04031924")),
    passes("C077", "2024", one()),
    fails(
        "C160",
        "slashes",
        one(last_menstrual_date="01/06/23"),
        (0, "last_menstrual_date", "01/06/23"),
    ),
    passes("C160", "digits", one(last_menstrual_date="01062023")),
    passes("C160", "blank", one()),
    fails("C161", "31 june", one(last_menstrual_date="31062023"), (0, "last_menstrual_date", "31062023")),
    passes("C161", "30 june", one(last_menstrual_date="30062023")),
]
