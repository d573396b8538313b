"""Explicit accessibility assertions on a page's HTML (no axe-core here: it is not installed)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

FIELDS = {"input", "select", "textarea"}
NOT_LABELLED = {"hidden", "submit", "button"}


@dataclass
class Table:
    caption: bool = False
    labelled: bool = False
    col_headers: int = 0
    body_rows: int = 0
    rows_with_header: int = 0
    rows_with_colspan_only: int = 0


@dataclass
class Page(HTMLParser):
    lang: str | None = None
    ids: set[str] = field(default_factory=set)
    label_for: set[str] = field(default_factory=set)
    fields: list[tuple[str, str | None]] = field(default_factory=list)  # (tag, id)
    tables: list[Table] = field(default_factory=list)
    inline_styles: int = 0
    inline_scripts: int = 0
    handlers: list[str] = field(default_factory=list)
    svgs: int = 0
    svg_titles: int = 0
    svg_roles: int = 0
    skip_link: bool = False
    headings: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__()
        self._stack: list[str] = []
        self._row: list[tuple[str, dict[str, str | None]]] | None = None
        self._in_tbody = False
        self._in_svg = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if a.get("id"):
            self.ids.add(str(a["id"]))
        if a.get("style") is not None and tag != "svg":
            self.inline_styles += 1
        self.handlers += [name for name in a if name.startswith("on")]
        if tag == "html":
            self.lang = a.get("lang")
        elif tag == "label" and a.get("for"):
            self.label_for.add(str(a["for"]))
        elif tag in FIELDS and (tag != "input" or a.get("type", "text") not in NOT_LABELLED):
            self.fields.append((tag, a.get("id")))
        elif tag == "script" and not a.get("src"):
            self.inline_scripts += 1
        elif tag == "a" and a.get("href") == "#contenu":
            self.skip_link = True
        elif tag == "table":
            self.tables.append(Table(labelled=bool(a.get("aria-labelledby"))))
        elif tag == "caption" and self.tables:
            self.tables[-1].caption = True
        elif tag == "tbody":
            self._in_tbody = True
        elif tag == "tr":
            self._row = []
        elif tag in ("th", "td") and self._row is not None:
            self._row.append((tag, a))
            if tag == "th" and a.get("scope") == "col" and self.tables:
                self.tables[-1].col_headers += 1
        elif tag == "svg":
            self.svgs += 1
            self.svg_roles += a.get("role") == "img"
        elif tag == "title" and self._stack and "svg" in self._stack:
            self.svg_titles += 1
        elif re.fullmatch(r"h[1-6]", tag):
            self.headings.append(tag)
        self._stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag == "tbody":
            self._in_tbody = False
        elif tag == "tr" and self._row is not None and self.tables:
            if self._in_tbody:
                table = self.tables[-1]
                table.body_rows += 1
                first_tag, first = self._row[0] if self._row else ("td", {})
                if first_tag == "th" and first.get("scope") in ("row", "rowgroup"):
                    table.rows_with_header += 1
                elif len(self._row) == 1 and first.get("colspan"):
                    table.rows_with_colspan_only += 1  # "nothing to show" row
            self._row = None
        while self._stack:
            if self._stack.pop() == tag:
                break


def check_page(html: str) -> Page:
    """Parse `html` and assert the accessibility basics every page must meet."""
    page = Page()
    page.feed(html)
    assert page.lang == "fr"
    assert page.skip_link and "contenu" in page.ids, "a skip link to the main content"
    assert page.headings and page.headings[0] == "h1" and page.headings.count("h1") == 1
    unlabelled = [(tag, ident) for tag, ident in page.fields if ident is None or ident not in page.label_for]
    assert unlabelled == [], "every input has a <label for>"
    for table in page.tables:
        assert table.caption or table.labelled, "every table has a caption"
        assert table.col_headers > 0, "every table has column headers"
        assert table.rows_with_header + table.rows_with_colspan_only == table.body_rows, "row headers"
    assert page.inline_styles == 0 and page.inline_scripts == 0 and page.handlers == []
    assert page.svgs == page.svg_roles == page.svg_titles, "each chart is an image with a title"
    return page


def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(foreground: str, background: str) -> float:
    """WCAG 2 contrast ratio of two #rrggbb colours."""
    high, low = sorted((_luminance(foreground), _luminance(background)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def css_variables(path: Path) -> dict[str, str]:
    return dict(re.findall(r"--([a-z]+):\s*(#[0-9a-fA-F]{6})", path.read_text(encoding="utf-8")))
