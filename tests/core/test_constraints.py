"""constraints.txt pins what `make test` and the Docker image install: every requirement of
pyproject.toml (dependencies and extras) at one version that its range admits."""

from __future__ import annotations

import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]


def pins(text: str) -> dict[str, Version]:
    found: dict[str, Version] = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        name, separator, version = line.partition("==")
        assert separator, f"not an exact pin: {line!r}"
        found[canonicalize_name(name)] = Version(version)
    return found


def requirements() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    extras = project["optional-dependencies"].values()
    listed = project["dependencies"] + [r for extra in extras for r in extra]
    return [Requirement(r) for r in listed]


def test_the_reader_takes_exact_pins_and_skips_comments() -> None:
    assert pins("# why\nFoo_Bar==1.2.0\n\nhl7==0.4.5  # note\n") == {
        "foo-bar": Version("1.2.0"),
        "hl7": Version("0.4.5"),
    }


def test_every_requirement_is_pinned_within_its_range() -> None:
    pinned = pins((ROOT / "constraints.txt").read_text(encoding="utf-8"))
    required = requirements()
    assert len(required) >= 25
    for requirement in required:
        name = canonicalize_name(requirement.name)
        assert name in pinned, f"{requirement.name} is not in constraints.txt: run make lock"
        assert requirement.specifier.contains(pinned[name], prereleases=True), (
            f"constraints.txt pins {name}=={pinned[name]}, outside pyproject.toml's {requirement}"
        )
    assert "dimqa" not in pinned  # the project itself is installed from the checkout
