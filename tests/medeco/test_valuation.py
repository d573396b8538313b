"""The valuation arithmetic, branch by branch, with exact Decimal results."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from app.medeco.valuation import GrouperResult, Tariff, campaign_of, value

D = Decimal
# 04M144 of the 2024 public table: bounds 8-48, EXB 844.87 per day, EXH 368.37 per day.
PER_DAY = Tariff("1188", 8, 48, D("10470.19"), D("0"), D("844.87"), D("368.37"))
# 01C034-like with a forfait EXB.
FORFAIT = Tariff("0025", 12, 124, D("18069.12"), D("1500.00"), D("450.98"), D("334.74"))
SEANCE = Tariff("9605", 0, 0, D("331.05"), D("0"), D("0"), D("0"))


def test_campaigns_start_on_the_first_of_march() -> None:
    assert [campaign_of(date(2024, 2, 29)), campaign_of(date(2024, 3, 1))] == [2023, 2024]


def test_per_day_exb_from_the_bounds() -> None:
    amounts = value(PER_DAY, ghm="04M144", los=5, seances=0, rsa=None, supplement_tariffs={})
    assert (amounts.exb_days, amounts.exb, amounts.exh_days) == (3, D("2534.61"), 0)
    assert amounts.total == D("7935.58")  # 10470.19 − 3 × 844.87


def test_forfait_exb_whatever_the_missing_days() -> None:
    amounts = value(FORFAIT, ghm="01C034", los=2, seances=0, rsa=None, supplement_tariffs={})
    assert (amounts.exb_days, amounts.exb, amounts.total) == (10, D("1500.00"), D("16569.12"))


def test_exh_beyond_the_high_bound_and_none_at_it() -> None:
    assert value(PER_DAY, ghm="04M144", los=48, seances=0, rsa=None, supplement_tariffs={}).exh == 0
    amounts = value(PER_DAY, ghm="04M144", los=51, seances=0, rsa=None, supplement_tariffs={})
    assert (amounts.exh_days, amounts.exh, amounts.total) == (3, D("1105.11"), D("11575.30"))


def test_seances_multiply_the_base_in_cmd_28_only() -> None:
    assert value(SEANCE, ghm="28Z04Z", los=0, seances=12, rsa=None, supplement_tariffs={}).total == D(
        "3972.60"
    )
    assert value(SEANCE, ghm="11M04Z", los=0, seances=12, rsa=None, supplement_tariffs={}).total == D(
        "331.05"
    )


def test_the_rsa_days_win_and_supplements_are_priced() -> None:
    rsa = GrouperResult(
        ghs="1188", exb_days=0, exh_days=2, exb_type="0", ghs_minore=False,
        supplements={"REA": 3, "NN1": 1, "9610": 2},
    )  # fmt: skip
    prices = {"REA": D("1009.97"), "9610": D("120.00")}
    amounts = value(PER_DAY, ghm="04M144", los=5, seances=0, rsa=rsa, supplement_tariffs=prices)
    assert (amounts.exb_days, amounts.exb, amounts.exh_days, amounts.exh) == (0, 0, 2, D("736.74"))
    assert amounts.supplement_lines == (
        ("9610", 2, D("120.00"), D("240.00")),
        ("NN1", 1, None, D("0")),
        ("REA", 3, D("1009.97"), D("3029.91")),
    )
    assert amounts.total == D("14476.84")  # 10470.19 + 736.74 + 240 + 3029.91


def test_the_coefficient_rounds_the_total_once() -> None:
    amounts = value(
        PER_DAY,
        ghm="04M144",
        los=10,
        seances=0,
        rsa=None,
        supplement_tariffs={},
        coefficient=D("0.993") * D("1.07"),
    )
    # 10470.19 × 1.06251 = 11124.6816869: rounded once, to 11124.68.
    assert (amounts.base, amounts.total) == (D("10470.19"), D("11124.68"))
