"""Cases of the identity rules (RSS number, birth date, sex)."""

from tests.rules.cases._support import Case, fails, one, passes, stay

CASES: list[Case] = [
    # The parser refuses a blank RSS number, so this record cannot come from a line.
    fails("C011", "blank", one(rss_number=""), (0, "rss_number", ""), roundtrip=False),
    passes("C011", "present", one()),
    fails("C013", "blank", one(birth_date=""), (0, "birth_date", "")),
    passes("C013", "present", one()),
    fails("C014", "slashes", one(birth_date="15/06/50"), (0, "birth_date", "15/06/50")),
    fails("C014", "letter", one(birth_date="1506195A"), (0, "birth_date", "1506195A")),
    passes("C014", "digits", one()),
    passes("C014", "blank is C013", one(birth_date="")),
    fails("C039", "31 february", one(birth_date="31022020"), (0, "birth_date", "31022020")),
    passes("C039", "29 february of a leap year", one(birth_date="29022020")),
    fails("C015", "born after entry", one(birth_date="05032024"), (0, "birth_date", "05032024")),
    fails("C015", "over 140 years", one(birth_date="01011880"), (0, "birth_date", "01011880")),
    passes("C015", "born on the entry day", one(birth_date="04032024")),
    fails("C016", "blank", one(sex=""), (0, "sex", "")),
    passes("C016", "present", one(sex="2")),
    fails("C017", "letter", one(sex="M"), (0, "sex", "M")),
    fails("C017", "3 before format 022", stay(1, {0: {"sex": "3"}}, version="021"), (0, "sex", "3")),
    passes("C017", "3 from format 022", one(sex="3", birth_date="01032024")),
    passes("C017", "woman", one(sex="2")),
    fails(
        "C045",
        "second RUM differs",
        stay(2, {1: {"birth_date": "16061950"}}),
        (1, "birth_date", "16061950"),
    ),
    passes("C045", "constant", stay(2)),
    fails("C046", "second RUM differs", stay(2, {1: {"sex": "2"}}), (1, "sex", "2")),
    passes("C046", "constant", stay(2)),
    fails("C258", "126 days old", one(sex="3", birth_date="01112023"), (0, "sex", "3")),
    passes("C258", "5 days old", one(sex="3", birth_date="01032024")),
]
