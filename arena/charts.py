"""Server-rendered SVG charts (no CDN, no JavaScript): ratings with intervals, a heatmap, ratings over time."""

from collections.abc import Callable
from datetime import datetime
from html import escape

ROW_HEIGHT = 22
LABEL_WIDTH = 220
PLOT_WIDTH = 520
AXIS_MARGIN = 300  # rating points shown past the best and worst rating
PALETTE = ["#3056d3", "#d97706", "#059669", "#b42318", "#7c3aed", "#0891b2", "#be185d", "#4d7c0f"]


def _scale(low: float, high: float, width: float) -> Callable[[float], float]:
    span = (high - low) or 1.0
    return lambda value: (value - low) / span * width


def _ratings_axis(rows: list[dict]) -> tuple[float, float]:
    """The intervals' span, but at most AXIS_MARGIN past the extreme ratings: a model with a handful of
    battles has an interval hundreds of points wide and would squeeze every other bar to a dot."""
    ratings = [r["rating"] for r in rows]
    low = max(min(r["ci_lower"] for r in rows), min(ratings) - AXIS_MARGIN) - 10
    high = min(max(r["ci_upper"] for r in rows), max(ratings) + AXIS_MARGIN) + 10
    return low, high


def ratings_chart(rows: list[dict]) -> str:
    """One line per model: a dot at its rating and a bar over its confidence interval (dashed where cut off)."""
    if not rows:
        return ""
    low, high = _ratings_axis(rows)
    scale = _scale(low, high, PLOT_WIDTH)

    def x(value: float) -> float:
        return LABEL_WIDTH + min(max(scale(value), 0.0), PLOT_WIDTH)

    height = ROW_HEIGHT * len(rows) + 30
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="Ratings with 95% intervals" '
        f'data-testid="ratings-chart" width="{LABEL_WIDTH + PLOT_WIDTH + 20}" height="{height}">'
    ]
    for i, row in enumerate(rows):
        y = 15 + i * ROW_HEIGHT
        dash = ' stroke-dasharray="4 3"' if row["ci_lower"] < low or row["ci_upper"] > high else ""
        parts += [
            f'<text x="{LABEL_WIDTH - 8}" y="{y + 4}" text-anchor="end" font-size="12">{escape(row["model"])}</text>',
            f'<line x1="{x(row["ci_lower"]):.1f}" y1="{y}" x2="{x(row["ci_upper"]):.1f}" y2="{y}" stroke="#3056d3" '
            f'stroke-width="2"{dash}/>',
            f'<circle cx="{x(row["rating"]):.1f}" cy="{y}" r="4" fill="#3056d3"><title>{escape(row["model"])}: '
            f"{row['rating']:.0f} ({row['ci_lower']:.0f}–{row['ci_upper']:.0f}), {row['votes']} battles</title>"
            "</circle>",
        ]
    axis_y = height - 10
    parts += [
        f'<text x="{LABEL_WIDTH}" y="{axis_y}" font-size="11">{low:.0f}</text>',
        f'<text x="{LABEL_WIDTH + PLOT_WIDTH}" y="{axis_y}" font-size="11" text-anchor="end">{high:.0f}</text>',
        "</svg>",
    ]
    return "".join(parts)


def _heat(rate: float | None) -> str:
    if rate is None:
        return "#eeeeee"
    red, blue = int(255 * (1 - rate)), int(255 * rate)
    return f"rgb({min(255, 120 + red // 2)},{150 + min(rate, 1 - rate) * 140:.0f},{min(255, 120 + blue // 2)})"


def heatmap(matrix: tuple[list[str], list[list[float | None]]] | list, title: str) -> str:
    """Row model's win rate against the column model; empty cells never met."""
    models, rates = matrix
    if not models:
        return ""
    cell, label = 46, 160
    size = label + cell * len(models)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{escape(title)}" '
        f'data-testid="winrate-heatmap" width="{size + 10}" height="{size + 10}">'
    ]
    for i, name in enumerate(models):
        parts.append(
            f'<text x="{label - 6}" y="{label + i * cell + cell / 2 + 4}" text-anchor="end" '
            f'font-size="11">{escape(name[:24])}</text>'
        )
        parts.append(
            f'<text x="{label + i * cell + cell / 2}" y="{label - 6}" font-size="11" '
            f'transform="rotate(-45 {label + i * cell + cell / 2} {label - 6})">{escape(name[:24])}</text>'
        )
        for j, rate in enumerate(rates[i]):
            text = "" if rate is None else f"{rate * 100:.0f}%"
            parts.append(
                f'<rect x="{label + j * cell}" y="{label + i * cell}" width="{cell - 1}" height="{cell - 1}" '
                f'fill="{_heat(rate)}"><title>{escape(name)} vs {escape(models[j])}: {text or "—"}</title></rect>'
                f'<text x="{label + j * cell + cell / 2}" y="{label + i * cell + cell / 2 + 4}" '
                f'text-anchor="middle" font-size="11">{text}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)


def history_chart(series: dict[str, list[tuple[str, float]]]) -> str:
    """Each model's rating across the stored snapshots."""
    points = [(datetime.fromisoformat(t).timestamp(), r) for values in series.values() for t, r in values]
    if len(points) < 2:
        return ""
    width, height, pad = 700, 260, 40
    x = _scale(min(p[0] for p in points), max(p[0] for p in points), width - 2 * pad - 140)
    low, high = min(p[1] for p in points) - 10, max(p[1] for p in points) + 10
    y = _scale(low, high, height - 2 * pad)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="Ratings over time" '
        f'data-testid="history-chart" width="{width}" height="{height}">'
    ]
    for n, (model, values) in enumerate(sorted(series.items())):
        color = PALETTE[n % len(PALETTE)]
        coords = " ".join(
            f"{pad + x(datetime.fromisoformat(t).timestamp()):.1f},{height - pad - y(r):.1f}" for t, r in values
        )
        parts.append(f'<polyline points="{coords}" fill="none" stroke="{color}" stroke-width="2"/>')
        parts.append(f'<text x="{width - 170}" y="{pad + n * 16}" fill="{color}" font-size="11">{escape(model)}</text>')
    parts += [
        f'<text x="4" y="{height - pad}" font-size="11">{low:.0f}</text>',
        f'<text x="4" y="{pad}" font-size="11">{high:.0f}</text>',
        "</svg>",
    ]
    return "".join(parts)
