"""Nomenclature readers: the real files of shared/data/nomenclatures and the canonical layouts."""

from __future__ import annotations

import gzip
import io
from collections import Counter
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import TypeVar

import pytest

from app.core.line_errors import LineError
from app.reference.loaders import (
    CcamRow,
    CimRow,
    CmdRow,
    GhmRow,
    read_ccam,
    read_cim10,
    read_cmd_labels,
    read_ghm,
)
from tests.conftest import shared_file

NOMENCLATURES = Path("nomenclatures")
T = TypeVar("T")


def _split(items: list[T | LineError]) -> tuple[list[T], list[LineError]]:
    rows = [item for item in items if not isinstance(item, LineError)]
    errors = [item for item in items if isinstance(item, LineError)]
    return rows, errors


# --- the real files ------------------------------------------------------------------------------


def test_cim10_2021() -> None:
    rows, errors = _split(list(read_cim10(shared_file(NOMENCLATURES / "cim10_fr_atih_2021.csv.gz"))))
    assert errors == []
    assert len(rows) == 42_880
    assert Counter(row.type_mco for row in rows) == {0: 13_349, 1: 444, 2: 26_536, 3: 2_475, 4: 76}
    by_code = {row.code: row for row in rows}
    assert by_code["E119"] == CimRow(
        "E119",
        "Diabète sucré de type 2, sans complication",
        3,
        "DIABETE TYPE 2, SANS COMPLIC.",
        "NNNN",
        "3",
        "E11",
    )
    assert by_code["Z5188"].type_mco == 0 and by_code["Z5188"].ssr_type == "ONNO"
    assert by_code["U0710"].label == "COVID-19, forme respiratoire, virus identifié"
    assert sum("+" in code for code in by_code) > 0  # ATIH extensions such as "+0" survive


def test_ccam() -> None:
    rows, errors = _split(list(read_ccam(shared_file(NOMENCLATURES / "ccam_actes.csv"))))
    assert errors == []
    assert len(rows) == 8_593
    assert sum(row.valid_to is not None for row in rows) == 298
    by_code = {row.code: row for row in rows}
    assert by_code["ZCQH001"].valid_from == date(2005, 3, 1) and by_code["ZCQH001"].valid_to is None
    assert by_code["ZCQH001"].label.startswith("Scanographie de l'abdomen et du petit bassin")
    assert by_code["AANL001"].valid_to == date(2010, 5, 1)
    assert by_code["YYYY600"].act_type == "2" and by_code["YYYY600"].valid_from == date(2011, 9, 29)
    assert max(row.valid_from for row in rows if row.valid_from) == date(2025, 1, 1)


def test_ghm() -> None:
    rows, errors = _split(list(read_ghm(shared_file(NOMENCLATURES / "ghm_regroupement_2024_2025.csv"))))
    assert errors == []
    assert len(rows) == 5_278
    assert Counter(row.year for row in rows) == {2024: 2_639, 2025: 2_639}
    assert not any(row.is_root for row in rows)
    chemo = next(row for row in rows if row.ghm == "28Z07Z" and row.year == 2025)
    assert chemo == GhmRow("28Z07Z", "Chimiothérapie pour tumeur, en séances", "28", 2025, "D27", "Séances")
    assert len({row.cmd for row in rows}) == 28


def test_ghm_roots() -> None:
    rows, errors = _split(
        list(read_ghm(shared_file(NOMENCLATURES / "ghm_racines_regroupement_2024_2025.csv")))
    )
    assert errors == []
    assert len(rows) == 1_358 and all(row.is_root for row in rows)
    first = rows[0]
    assert (first.ghm, first.cmd, first.year) == ("01C03", "01", 2024)
    assert first.label == "Craniotomies pour traumatisme, âge supérieur à 17 ans"


def test_cmd_labels() -> None:
    rows, errors = _split(list(read_cmd_labels(shared_file(NOMENCLATURES / "cmd_libelles.csv"))))
    assert errors == []
    assert len(rows) == 28
    labels = {row.cmd: row.label for row in rows}
    assert (
        labels["08"] == "Affections et traumatismes de l'appareil musculosquelettique et du tissu conjonctif"
    )
    assert labels["28"] == "Séances" and labels["90"] == "Erreurs et autres séjours inclassables"
    assert "24" not in labels


# --- the canonical layouts -----------------------------------------------------------------------


def test_canonical_cim10_semicolon_utf8(tmp_path: Path) -> None:
    path = tmp_path / "cim.csv"
    path.write_text(
        "code;label;type_mco\nE11.9;Diabète de type 2;3\n\nz51.88;Autres soins;0\n", encoding="utf-8"
    )
    assert list(read_cim10(path)) == [
        CimRow("E119", "Diabète de type 2", 3),
        CimRow("Z5188", "Autres soins", 0),
    ]


def test_canonical_cim10_latin1_gzip_stream() -> None:
    body = gzip.compress("CODE;Label;Type_MCO;category\nA00;Choléra;3;A00\n".encode("latin-1"))
    assert list(read_cim10(io.BytesIO(body))) == [CimRow("A00", "Choléra", 3, category="A00")]


def test_windows_1252_text_and_text_stream() -> None:
    body = "cmd;label\n02;Affections de l'\u0153il\n"
    assert list(read_cmd_labels(io.BytesIO(body.encode("cp1252")))) == [
        CmdRow("02", "Affections de l'\u0153il")
    ]
    assert list(read_cmd_labels(io.StringIO(body))) == [CmdRow("02", "Affections de l'\u0153il")]


def test_canonical_ccam_comma_quotes_and_reordered_columns() -> None:
    body = (
        b"valid_to,code,label,valid_from,activities\r\n"
        b'2010-05-01,AANL001,"Irradiation, dose unique",01/03/2005,1\r\n'
        b",ZCQH001,Scanographie,2005-03-01,14\r\n"
    )
    assert list(read_ccam(io.BytesIO(body))) == [
        CcamRow("AANL001", "Irradiation, dose unique", date(2005, 3, 1), date(2010, 5, 1), activities=("1",)),
        CcamRow("ZCQH001", "Scanographie", date(2005, 3, 1), None, activities=("1", "4")),
    ]


def test_canonical_ghm_tab_separated() -> None:
    body = "ghm\tlabel\n28Z07Z\tChimiothérapie pour tumeur, en séances\n05K10\tActes diagnostiques\n".encode()
    rows = list(read_ghm(io.BytesIO(body)))
    assert rows == [
        GhmRow("28Z07Z", "Chimiothérapie pour tumeur, en séances", "28"),
        GhmRow("05K10", "Actes diagnostiques", "05"),
    ]
    assert isinstance(rows[1], GhmRow) and rows[1].is_root


# --- bad rows and files --------------------------------------------------------------------------


def _errors(items: Sequence[object]) -> list[tuple[int | None, str | None, str]]:
    return [(e.line, e.field, e.code) for e in items if isinstance(e, LineError)]


def test_cim10_bad_rows() -> None:
    body = (
        "code;label;type_mco\n"
        "E119;Diabète;3\n"
        "E1;Trop court;0\n"
        "E110;Diabète insulino;7\n"
        "E111;;0\n"
        "E119;Doublon;3\n"
        "E112\n"
        '"E113";"Libellé sur\ndeux lignes";0\n'
        "E114;Suite;1\n"
    ).encode()
    items = list(read_cim10(io.BytesIO(body)))
    assert _errors(items) == [
        (3, "code", "invalid_code"),
        (4, "type_mco", "invalid_value"),
        (5, "label", "missing_value"),
        (6, "code", "duplicate_code"),
        (7, "label", "missing_column"),
    ]
    rows = [item for item in items if isinstance(item, CimRow)]
    assert [row.code for row in rows] == ["E119", "E113", "E114"]
    assert rows[1].label == "Libellé sur\ndeux lignes"


def test_ccam_bad_rows() -> None:
    body = (
        b"code;label;valid_from;valid_to\n"
        b"AAFA001;Ex\xe9r\xe8se;2005-03-01;\n"
        b"AAFA01;Code court;2005-03-01;\n"
        b"AAFA002;Date;2005-13-01;\n"
        b"AAFA003;Date;2005/03/01;\n"
        b"AAFA004;Fin avant d\xe9but;2010-01-01;2009-01-01\n"
    )
    items = list(read_ccam(io.BytesIO(body)))
    assert _errors(items) == [
        (3, "code", "invalid_code"),
        (4, "valid_from", "invalid_date"),
        (5, "valid_from", "invalid_date"),
        (6, "valid_to", "invalid_range"),
    ]
    assert items[0] == CcamRow("AAFA001", "Exérèse", date(2005, 3, 1), None)


def test_ghm_and_cmd_bad_rows() -> None:
    ghm = (
        b"ghm;label;year;cmd\n"
        b"28Z07Z;Chimio;2025;28\n"
        b"28Z07;Racine;20x5;\n"
        b"28Z08Z;Autre;2025;27\n"
        b"28Z07Z;Doublon;2025;\n"
    )
    assert _errors(list(read_ghm(io.BytesIO(ghm)))) == [
        (3, "year", "invalid_value"),
        (4, "cmd", "invalid_value"),
        (5, "ghm", "duplicate_code"),
    ]
    assert _errors(list(read_ghm(io.BytesIO(b"ghm;label\n2807Z;X\n")))) == [(2, "ghm", "invalid_code")]
    cmd = b"cmd;label\n8;Huit\n08;\n08;Huit\n08;Encore\n"
    assert _errors(list(read_cmd_labels(io.BytesIO(cmd)))) == [
        (2, "cmd", "invalid_code"),
        (3, "label", "missing_value"),
        (5, "cmd", "duplicate_code"),
    ]


def _single_error(items: Sequence[object]) -> LineError:
    (error,) = items
    assert isinstance(error, LineError)
    return error


def test_unknown_header_and_empty_file() -> None:
    error = _single_error(list(read_cim10(io.BytesIO(b"diag;libelle\nE119;Diabete\n"))))
    assert (error.line, error.field, error.code) == (1, "code", "unknown_layout")
    error = _single_error(list(read_ccam(io.BytesIO(b"code;label;valid_from\nAAFA001;X;2005-03-01\n"))))
    assert (error.code, error.field) == ("unknown_layout", "valid_to")
    assert "code;label;valid_from;valid_to" in error.message
    error = _single_error(list(read_cmd_labels(io.BytesIO(b""))))
    assert (error.line, error.code) == (None, "empty_file")


@pytest.mark.parametrize("reader", [read_cim10, read_ccam, read_ghm, read_cmd_labels])
def test_garbage_never_raises(reader: object) -> None:
    for body in (b"\x00\xff\xfe garbage", gzip.compress(b"\x00;\x01\n"), b";;;\n;;;\n", b'"unterminated\n'):
        items = list(reader(io.BytesIO(body)))  # type: ignore[operator]
        assert all(isinstance(item, LineError) for item in items)
