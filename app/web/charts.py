"""Charts as SVG written by the server: no script, no CDN, readable without colour.

Each series has its own fill pattern or line dash and marker shape, every bar and point carries
its value as text, and each chart has a <title> and <desc> for screen readers (the same figures
are in the table beside it). Presentation attributes only: the pages' Content-Security-Policy
forbids inline styles."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

from markupsafe import Markup

INK = "#1b1b1b"
J8_FILL = "#1f4e79"  # dark blue on white: 8.6:1
J0_COLOUR = "#8a4b00"  # dark brown on white: 6.6:1
GRID = "#767676"  # 4.5:1 on white

_PATTERNS = (
    '<defs><pattern id="{prefix}-hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
    'patternTransform="rotate(45)"><rect width="6" height="6" fill="#ffffff"/>'
    f'<line x1="0" y1="0" x2="0" y2="6" stroke="{J0_COLOUR}" stroke-width="3"/></pattern></defs>'
)


def number_label(value: float | None, digits: int = 1) -> str:
    """35430.305 -> '35 430,3' (French writing: decimal comma, narrow no-break spaces between
    thousands, `digits` decimals); None -> 'n.d.'. The API and the files keep the exact value."""
    if value is None:
        return "n.d."
    return f"{value:,.{digits}f}".replace(",", "\u202f").replace(".", ",")


def percent_label(rate: float | None) -> str:
    """0.8547 -> '85,5 %' (French writing); None -> 'n.d.'."""
    if rate is None:
        return "n.d."
    return f"{rate * 100:.1f}".replace(".", ",") + " %"


def _short(label: str, width: int = 38) -> str:
    return label if len(label) <= width else label[: width - 1] + "…"


@dataclass(frozen=True, slots=True)
class Bars:
    label: str
    rate_j0: float | None
    rate_j8: float | None


def _svg(width: int, height: int, ident: str, title: str, desc: str, body: str) -> Markup:
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-labelledby="{ident}-t {ident}-d">'
        f'<title id="{ident}-t">{escape(title)}</title><desc id="{ident}-d">{escape(desc)}</desc>'
    )
    return Markup(head + body + "</svg>")


def _vertical_grid(left: int, width: int, top: int, height: int, text: Callable[[int], str]) -> list[str]:
    """Grid lines of a horizontal bar chart at 0, 25, 50, 75 and 100 % of the plot width, each
    labelled below the plot with `text(tick)`."""
    parts: list[str] = []
    for tick in (0, 25, 50, 75, 100):
        x = left + width * tick / 100
        parts.append(
            f'<line x1="{x:.1f}" y1="{top - 6}" x2="{x:.1f}" y2="{height - 24}" stroke="{GRID}" '
            'stroke-width="0.5"/>'
            f'<text x="{x:.1f}" y="{height - 10}" font-size="11" text-anchor="middle" '
            f'fill="{INK}">{escape(text(tick))}</text>'
        )
    return parts


def bar_chart(rows: Sequence[Bars], *, ident: str, title: str) -> Markup:
    """Horizontal bars per service: J8 plain, J0 hatched, each with its value written at its end."""
    label_width, plot_width, bar, gap = 260, 420, 12, 10
    top = 40
    height = top + len(rows) * (2 * bar + gap) + 30
    width = label_width + plot_width + 80
    parts = [_PATTERNS.replace("{prefix}", ident)]
    # Legend first: the pattern is named in words, not only shown.
    parts.append(
        f'<rect x="{label_width}" y="8" width="16" height="12" fill="{J8_FILL}"/>'
        f'<text x="{label_width + 22}" y="18" font-size="12" fill="{INK}">Reçus à J8 (plein)</text>'
        f'<rect x="{label_width + 170}" y="8" width="16" height="12" fill="url(#{ident}-hatch)" '
        f'stroke="{J0_COLOUR}"/>'
        f'<text x="{label_width + 192}" y="18" font-size="12" fill="{INK}">Reçus à J0 (hachuré)</text>'
    )
    parts += _vertical_grid(label_width, plot_width, top, height, lambda tick: f"{tick} %")
    for index, row in enumerate(rows):
        y = top + index * (2 * bar + gap)
        parts.append(
            f'<text x="{label_width - 8}" y="{y + bar + 4}" font-size="12" text-anchor="end" '
            f'fill="{INK}">{escape(_short(row.label))}</text>'
        )
        for offset, rate, fill, name in (
            (0, row.rate_j8, J8_FILL, "J8"),
            (bar, row.rate_j0, f"url(#{ident}-hatch)", "J0"),
        ):
            length = plot_width * (rate or 0.0)
            stroke = f' stroke="{J0_COLOUR}"' if name == "J0" else ""
            parts.append(
                f'<rect x="{label_width}" y="{y + offset}" width="{length:.1f}" height="{bar - 1}" '
                f'fill="{fill}"{stroke}/>'
                f'<text x="{label_width + length + 4:.1f}" y="{y + offset + bar - 2}" font-size="11" '
                f'fill="{INK}">{name} {percent_label(rate)}</text>'
            )
    desc = "; ".join(
        f"{row.label}: J8 {percent_label(row.rate_j8)}, J0 {percent_label(row.rate_j0)}" for row in rows
    )
    return _svg(width, height, ident, title, desc or "Aucun séjour", "".join(parts))


def trend_chart(
    weeks: Sequence[str], j0: Sequence[float | None], j8: Sequence[float | None], *, ident: str, title: str
) -> Markup:
    """Two lines over the weeks: J8 solid with round markers, J0 dashed with square markers,
    each point's value written above it."""
    left, plot_width, plot_height, top = 50, 660, 200, 40
    width, height = left + plot_width + 30, top + plot_height + 50
    step = plot_width / max(len(weeks) - 1, 1)
    parts = [
        f'<line x1="{left}" y1="14" x2="{left + 24}" y2="14" stroke="{J8_FILL}" stroke-width="2.5"/>'
        f'<circle cx="{left + 12}" cy="14" r="4" fill="{J8_FILL}"/>'
        f'<text x="{left + 30}" y="18" font-size="12" fill="{INK}">Taux J8 (trait plein, ronds)</text>'
        f'<line x1="{left + 250}" y1="14" x2="{left + 274}" y2="14" stroke="{J0_COLOUR}" stroke-width="2.5" '
        'stroke-dasharray="6 4"/>'
        f'<rect x="{left + 258}" y="10" width="8" height="8" fill="{J0_COLOUR}"/>'
        f'<text x="{left + 280}" y="18" font-size="12" fill="{INK}">Taux J0 (tirets, carrés)</text>'
    ]

    def y_of(rate: float) -> float:
        return top + plot_height * (1 - rate)

    for tick in (0, 50, 100):
        y = y_of(tick / 100)
        parts.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_width}" y2="{y:.1f}" stroke="{GRID}" '
            'stroke-width="0.5"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" font-size="11" text-anchor="end" '
            f'fill="{INK}">{tick} %</text>'
        )
    for index, week in enumerate(weeks):
        x = left + index * step
        parts.append(
            f'<text x="{x:.1f}" y="{top + plot_height + 18}" font-size="10" text-anchor="middle" '
            f'fill="{INK}">{escape(week[-3:])}</text>'
        )
    for values, colour, dash, square, above in (
        (j8, J8_FILL, "", False, -8),
        (j0, J0_COLOUR, "6 4", True, 16),
    ):
        points = [(left + i * step, y_of(v), v) for i, v in enumerate(values) if v is not None]
        if len(points) > 1:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y, _ in points)
            dashing = f' stroke-dasharray="{dash}"' if dash else ""
            parts.append(
                f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2.5"{dashing}/>'
            )
        for x, y, value in points:
            marker = (
                f'<rect x="{x - 4:.1f}" y="{y - 4:.1f}" width="8" height="8" fill="{colour}"/>'
                if square
                else f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{colour}"/>'
            )
            parts.append(
                marker + f'<text x="{x:.1f}" y="{y + above:.1f}" font-size="9" text-anchor="middle" '
                f'fill="{INK}">{round(value * 100)}</text>'
            )
    desc = "; ".join(
        f"{week}: J8 {percent_label(a)}, J0 {percent_label(b)}"
        for week, a, b in zip(weeks, j8, j0, strict=True)
    )
    return _svg(width, height, ident, title, desc, "".join(parts))


def sparkline(values: Sequence[float | None], *, ident: str, title: str) -> Markup:
    """A small J8 line for a table cell; the figures are in the row's own cells."""
    width, height = 120, 28
    step = width / max(len(values) - 1, 1)
    points = [(i * step, 2 + (height - 4) * (1 - v)) for i, v in enumerate(values) if v is not None]
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
    body = (
        f'<line x1="0" y1="{height / 2}" x2="{width}" y2="{height / 2}" stroke="{GRID}" stroke-width="0.5" '
        'stroke-dasharray="2 2"/>'
        + (f'<polyline points="{path}" fill="none" stroke="{J8_FILL}" stroke-width="2"/>' if path else "")
    )
    desc = ", ".join(percent_label(v) for v in values)
    return _svg(width, height, ident, title, desc, body)


def euro_label(amount: float | None) -> str:
    """1234567.8 -> '1 234 567,80 €' (French writing, narrow no-break spaces); None -> 'n.d.'."""
    if amount is None:
        return "n.d."
    return f"{amount:,.2f}".replace(",", "\u202f").replace(".", ",") + " €"


def value_chart(
    rows: Sequence[tuple[str, float | None]],
    *,
    ident: str,
    title: str,
    legend: str,
    label: Callable[[float | None], str],
    maximum: float | None = None,
) -> Markup:
    """Horizontal bars of one series (a rate with `maximum` 1, or euros scaled to the largest),
    plain fill, each bar's value written at its end: no colour needed to read it."""
    label_width, plot_width, bar, gap, top = 260, 420, 14, 8, 40
    height = top + len(rows) * (bar + gap) + 30
    width = label_width + plot_width + 150
    scale = maximum or max((value or 0.0 for _, value in rows), default=0.0) or 1.0
    parts = [
        f'<rect x="{label_width}" y="8" width="16" height="12" fill="{J8_FILL}"/>'
        f'<text x="{label_width + 22}" y="18" font-size="12" fill="{INK}">{escape(legend)}</text>'
    ]
    parts += _vertical_grid(label_width, plot_width, top, height, lambda tick: label(scale * tick / 100))
    for index, (name, value) in enumerate(rows):
        y = top + index * (bar + gap)
        length = plot_width * max(value or 0.0, 0.0) / scale
        parts.append(
            f'<text x="{label_width - 8}" y="{y + bar - 3}" font-size="12" text-anchor="end" '
            f'fill="{INK}">{escape(_short(name))}</text>'
            f'<rect x="{label_width}" y="{y}" width="{length:.1f}" height="{bar - 1}" fill="{J8_FILL}"/>'
            f'<text x="{label_width + length + 4:.1f}" y="{y + bar - 3}" font-size="11" '
            f'fill="{INK}">{escape(label(value))}</text>'
        )
    desc = "; ".join(f"{name}: {label(value)}" for name, value in rows)
    return _svg(width, height, ident, title, desc or "Aucun séjour", "".join(parts))
