"""The helper every test reading ../shared goes through: a missing file skips, naming it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import conftest
from tests.conftest import shared_file


def test_a_missing_file_skips_naming_its_path() -> None:
    with pytest.raises(pytest.skip.Exception, match=r"^\.\./shared/data/hl7v2/none\.er7 is not available$"):
        shared_file("hl7v2/none.er7")
    with pytest.raises(pytest.skip.Exception, match=r"^\.\./shared/spec/none\.md is not available$"):
        shared_file("../spec/none.md")


def test_a_present_file_or_folder_is_returned(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    data = tmp_path / "data"
    (data / "hl7v2").mkdir(parents=True)
    (data / "hl7v2" / "a.er7").write_bytes(b"MSH|")
    (tmp_path / "spec").mkdir()
    (tmp_path / "spec" / "pmsi-formats.md").write_text("# spec")
    monkeypatch.setattr(conftest, "SHARED_DATA", data)
    assert shared_file("hl7v2/a.er7").read_bytes() == b"MSH|"
    assert shared_file(Path("hl7v2")) == data / "hl7v2"
    assert shared_file("../spec/pmsi-formats.md") == tmp_path / "spec" / "pmsi-formats.md"
