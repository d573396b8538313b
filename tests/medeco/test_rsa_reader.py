"""app.medeco.rsa_reader (compiled): the COPY row of an RSA, byte for byte, and its located errors."""

from __future__ import annotations

import hashlib

from app.medeco.rsa_reader import COPY_COLUMNS, copy_chunks, read_delivery
from tests.medeco.builders import rsa_line, tra_csv


def test_an_rsa_renders_as_its_copy_row() -> None:
    line = rsa_line(
        index=7, ghs="0000", exh_days=3, ghs_minore=True, supplements={"sup_rea": 2, "sup_nn1": 1},
        radiotherapy={"9610": 2, "9611": 1},
    )  # fmt: skip
    delivery = read_delivery((line + "\r\n").encode(), tra_csv((7, "R7", "S\\7")), 2024)
    digest = hashlib.sha256(f"{line}\0R7\0S\\7\0002024".encode()).hexdigest()
    expected = [
        "R7", "S\\\\7", "0000000007", "1", line, "t", digest, "2024", "228", "11", "04M143", "000", "1",
        "2024", "34", "0", "\\N", "3", "0", "0", "t", '{"REA": 2, "NN1": 1}', '{"9610": 2, "9611": 1}', "5",
    ]  # fmt: skip
    assert len(expected) == len(COPY_COLUMNS)
    assert list(copy_chunks(delivery.accepted, 5)) == ["\t".join(expected) + "\n"]
    assert (delivery.rsa_lines, delivery.tra_lines, delivery.rejected, delivery.formats) == (
        1,
        1,
        0,
        {"228": 1},
    )


def test_numbers_padded_with_spaces_read_and_other_digits_are_errors() -> None:
    base = rsa_line(index=1)
    spaced = base[:70] + "  34" + base[74:]  # DUTSP (los), 71-74
    superscript = rsa_line(index=2)
    superscript = superscript[:70] + "003²" + superscript[74:]
    delivery = read_delivery(
        f"{spaced}\n{superscript}\n".encode(), tra_csv((1, "R1", "S1"), (2, "R2", "S2")), None
    )
    assert [item.rss_number for item in delivery.accepted] == ["R1"]
    assert "\t34\t" in delivery.accepted[0].row
    assert [
        (file, error.line, error.field, error.code, error.message) for file, error, _ in delivery.errors
    ] == [
        ("rsa", 2, "los", "not_numeric", "los must be a number, got '003²'"),
    ]
