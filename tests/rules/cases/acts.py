"""Cases of the act-zone rules."""

from tests.rules.cases._support import Case, act, fails, one, passes

CASES: list[Case] = [
    fails("C103", "blank", one(acts=[act(activity="")]), (0, "acts[0].activity", "")),
    fails("C103", "7", one(acts=[act(), act(activity="7")]), (0, "acts[1].activity", "7")),
    passes("C103", "1", one()),
    fails("C173", "letter O", one(acts=[act(doc_extension="O")]), (0, "acts[0].doc_extension", "O")),
    fails("C173", "dash", one(acts=[act(doc_extension="-")]), (0, "acts[0].doc_extension", "-")),
    passes("C173", "digit", one(acts=[act(doc_extension="1")])),
    fails(
        "C170",
        "anaesthesia without extension",
        one(acts=[act(code="LMMA012"), act(code="LMMA012", activity="4")]),
        (0, "acts[1].doc_extension", ""),
    ),
    passes(
        "C170", "anaesthesia with extension", one(acts=[act(code="LMMA012", activity="4", doc_extension="3")])
    ),
    fails("C052", "zero", one(acts=[act(count="00")]), (0, "acts[0].count", "00")),
    fails("C052", "blank", one(acts=[act(count="")]), (0, "acts[0].count", "")),
    fails("C052", "letters", one(acts=[act(count="X")]), (0, "acts[0].count", "X")),
    passes("C052", "once", one()),
    fails("C185", "no dash", one(acts=[act(extension="01")]), (0, "acts[0].extension", "01")),
    passes("C185", "dash and digits", one(acts=[act(extension="-01")])),
    passes("C185", "blank", one()),
    fails("C102", "after the RUM", one(acts=[act(date="10032024")]), (0, "acts[0].date", "10032024")),
    fails("C102", "not a day", one(acts=[act(date="32032024")]), (0, "acts[0].date", "32032024")),
    passes("C102", "during the RUM", one(acts=[act(date="05032024")])),
    passes("C102", "blank", one(acts=[act(date="")])),
    passes("C102", "delivery act is C142", one(acts=[act(code="JQGD010", date="10032024")])),
]
