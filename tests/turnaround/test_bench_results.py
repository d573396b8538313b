"""bench/turnaround.py rewrites its section of docs/benchmarks.md at each run: the hand-written
history under it and the other sections must survive."""

from __future__ import annotations

from bench.turnaround import replace_section

NEW = "## Turnaround\nrun of today\n"


def test_the_run_is_replaced_and_its_history_kept() -> None:
    text = (
        "# Benchmarks\n\n## Activity\na\n\n## Turnaround\nrun of yesterday\n\n"
        "### Turnaround history\nolder runs\n\n## Soak\ns\n"
    )
    assert replace_section(text, NEW) == (
        "# Benchmarks\n\n## Activity\na\n\n## Turnaround\nrun of today\n\n"
        "### Turnaround history\nolder runs\n\n## Soak\ns\n"
    )


def test_a_section_without_history_is_replaced_whole() -> None:
    text = "# Benchmarks\n\n## Turnaround\nrun of yesterday\nmore\n\n## Soak\ns\n"
    assert replace_section(text, NEW) == "# Benchmarks\n\n## Turnaround\nrun of today\n\n## Soak\ns\n"


def test_the_last_section_and_a_missing_one() -> None:
    last = "# Benchmarks\n\n## Turnaround\nold\n\n### Turnaround history\nh\n"
    assert replace_section(last, NEW) == (
        "# Benchmarks\n\n## Turnaround\nrun of today\n\n### Turnaround history\nh\n"
    )
    assert replace_section("# Benchmarks\n", NEW) == "# Benchmarks\n\n## Turnaround\nrun of today\n"
