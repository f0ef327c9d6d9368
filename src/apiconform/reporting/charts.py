"""The pictures of report.html and trend.html, as inline SVG: verdicts as stacked bars, the request timeline,
and the trend across runs.

Each chart is one `<svg>` element drawn with presentation attributes only (no style, no script, nothing
loaded), so it renders under the pages' Content-Security-Policy and reads without colour: every verdict
has a pattern as well as a colour, every status class a shape, every trend line a dash and a marker, and
a legend names them. Each has a `<title>` and a `<desc>` that says its numbers in words, and each drawn
value carries `data-*` attributes (what the tests read). Every name from a report is escaped and cut to
one printable line; a chart's element ids start with the `ident` it is given, unique within its page.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from html import escape
from typing import Any

from apiconform.reporting.document import one_line, plural, printable_line

WIDTH = 760
FONT = 'font-family="system-ui,-apple-system,Segoe UI,Roboto,sans-serif"'
# Each verdict's colour, the pattern drawn over it (so that it reads in grey too) and the colour of the
# count written on it.
VERDICT_LOOK: dict[str, tuple[str, str, str]] = {
    "pass": ("#2e7d32", "solid", "#ffffff"),
    "fail": ("#c62828", "diagonal", "#ffffff"),
    "warn": ("#f9a825", "dots", "#1d232a"),
    "waived": ("#3f51b5", "horizontal", "#ffffff"),
    "inconclusive": ("#8e24aa", "crosshatch", "#ffffff"),
    "not-exercised": ("#b0bec5", "vertical", "#1d232a"),
}
# The bars' order, left to right: what passed, then what needs attention.
BAR_ORDER = ("pass", "fail", "warn", "waived", "inconclusive", "not-exercised")
# Status classes of the request timeline: label, colour, marker shape.
STATUS_LOOK: dict[str, tuple[str, str, str]] = {
    "2xx": ("2xx", "#2e7d32", "circle"),
    "3xx": ("3xx", "#1565c0", "square"),
    "429": ("429 Too Many Requests", "#8e24aa", "diamond"),
    "4xx": ("other 4xx", "#ef6c00", "triangle"),
    "5xx": ("5xx", "#c62828", "cross"),
    "none": ("no usable answer", "#4e342e", "ring"),
}
# The trend's lines: colour, dash pattern and marker.
TREND_LOOK: dict[str, tuple[str, str, str]] = {
    "pass": ("#2e7d32", "", "circle"),
    "fail": ("#c62828", "6 3", "square"),
    "warn": ("#ef6c00", "2 3", "triangle"),
}
MAX_LABEL = 30


def text(value: Any, limit: int = 0) -> str:
    """A value from a report as SVG text or an attribute: one printable line (cut to `limit` characters when
    given), XML-escaped, without the two characters XML cannot hold at all."""
    line = printable_line(value).replace("\ufffe", "\\ufffe").replace("\uffff", "\\uffff")
    return escape(one_line(line, limit) if limit else line, quote=True)


def _number(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def nice_step(span: float, ticks: int = 5) -> float:
    """A round tick step (1, 2 or 5 times a power of ten) giving about `ticks` steps over `span`."""
    if span <= 0:
        return 1.0
    raw = span / ticks
    power = 10 ** math.floor(math.log10(raw))
    return next(step * power for step in (1, 2, 5, 10) if step * power >= raw)


def _ticks(top: float) -> tuple[float, list[float]]:
    """The axis' end (a round number at or above `top`) and its ticks from 0."""
    step = nice_step(top)
    end = step * max(1, math.ceil(top / step - 1e-9))
    return end, [step * index for index in range(round(end / step) + 1)]


def _patterns(ident: str, verdicts: Iterable[str]) -> str:
    defs = []
    for verdict in verdicts:
        colour, pattern, _ = VERDICT_LOOK[verdict]
        marks = {
            "solid": "",
            "diagonal": '<line x1="0" y1="0" x2="0" y2="8" stroke="#ffffff" stroke-width="3" stroke-opacity="0.45"/>',
            "dots": '<circle cx="4" cy="4" r="1.6" fill="#1d232a" fill-opacity="0.45"/>',
            "horizontal": '<line x1="0" y1="4" x2="8" y2="4" stroke="#ffffff" stroke-width="2" stroke-opacity="0.5"/>',
            "crosshatch": '<path d="M0 0L8 8M8 0L0 8" stroke="#ffffff" stroke-width="1.2" stroke-opacity="0.5"/>',
            "vertical": '<line x1="4" y1="0" x2="4" y2="8" stroke="#1d232a" stroke-width="1.2" stroke-opacity="0.35"/>',
        }[pattern]
        rotate = ' patternTransform="rotate(45)"' if pattern == "diagonal" else ""
        defs.append(
            f'<pattern id="{ident}-{verdict}" width="8" height="8" patternUnits="userSpaceOnUse"{rotate}>'
            f'<rect width="8" height="8" fill="{colour}"/>{marks}</pattern>'
        )
    return f"<defs>{''.join(defs)}</defs>"


def _open(ident: str, width: int, height: int, title: str, description: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{ident}" role="img" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" aria-labelledby="{ident}-title {ident}-desc" {FONT} '
        f'font-size="12"><title id="{ident}-title">{text(title)}</title>'
        f'<desc id="{ident}-desc">{text(description)}</desc>'
        f'<rect width="{width}" height="{height}" fill="#ffffff"/>'
    )


def _legend_swatch(ident: str, verdict: str, x: float, y: float) -> str:
    return (
        f'<rect x="{x}" y="{y - 10}" width="14" height="12" fill="url(#{ident}-{verdict})" stroke="#1d232a" '
        f'stroke-width="0.5"/><text x="{x + 19}" y="{y}">{text(verdict)}</text>'
    )


def verdict_bars(rows: Sequence[tuple[str, Mapping[str, int]]], *, ident: str, title: str) -> str:
    """Stacked horizontal bars, one per row (an API, a requirement family): its requirements by verdict, each
    segment as long as its count on one scale shared by the rows, the count written on the segments wide
    enough to hold it and in the segment's tooltip, the row's total at the bar's end."""
    label_width, bar_width, row_height, top = 190, 500, 24, 34
    height = top + row_height * max(1, len(rows)) + 10
    largest = max((sum(tally.get(verdict, 0) for verdict in BAR_ORDER) for _, tally in rows), default=0)
    scale = bar_width / largest if largest else 0.0
    described = "; ".join(
        f"{printable_line(name)}: "
        + (", ".join(f"{tally[verdict]} {verdict}" for verdict in BAR_ORDER if tally.get(verdict)) or "none")
        for name, tally in rows
    )
    parts = [_open(ident, WIDTH, height, title, described or "no requirements"), _patterns(ident, BAR_ORDER)]
    parts += [_legend_swatch(ident, verdict, 10 + index * 122, 16) for index, verdict in enumerate(BAR_ORDER)]
    for index, (name, tally) in enumerate(rows):
        y = top + index * row_height
        total = sum(tally.get(verdict, 0) for verdict in BAR_ORDER)
        parts.append(
            f'<g data-row="{text(name)}" data-total="{total}"><title>{text(name)}: {plural(total, "requirement")}'
            f'</title><text x="{label_width - 8}" y="{y + 15}" text-anchor="end">{text(name, MAX_LABEL)}</text>'
        )
        x = float(label_width)
        for verdict in BAR_ORDER:
            count = tally.get(verdict, 0)
            if not count:
                continue
            width = count * scale
            ink = VERDICT_LOOK[verdict][2]
            parts.append(
                f'<g data-verdict="{verdict}" data-count="{count}"><title>{text(name)}: {count} {verdict}</title>'
                f'<rect x="{x:.1f}" y="{y + 2}" width="{width:.1f}" height="{row_height - 6}" '
                f'fill="url(#{ident}-{verdict})" stroke="#ffffff" stroke-width="1"/>'
            )
            if width >= 8 * len(str(count)) + 6:
                parts.append(
                    f'<text x="{x + width / 2:.1f}" y="{y + 15}" text-anchor="middle" fill="{ink}" '
                    f'font-weight="600" paint-order="stroke" stroke="{VERDICT_LOOK[verdict][0]}" stroke-width="2">'
                    f"{count}</text>"
                )
            parts.append("</g>")
            x += width
        parts.append(f'<text x="{x + 6:.1f}" y="{y + 15}" fill="#66707a">{total}</text></g>')
    parts.append("</svg>")
    return "".join(parts)


def status_class(status: int | str) -> str:
    """The timeline's class of a point: 2xx, 3xx, 429, 4xx, 5xx, or none (no usable answer)."""
    if isinstance(status, str):
        return "none"
    if status == 429:
        return "429"
    if status >= 500:
        return "5xx"
    if status >= 400:
        return "4xx"
    return "3xx" if status >= 300 else "2xx"


def _marker(shape: str, x: float, y: float, colour: str, size: float = 3.2) -> str:
    if shape == "circle":
        return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{size}" fill="{colour}" fill-opacity="0.75"/>'
    if shape == "square":
        return (
            f'<rect x="{x - size:.1f}" y="{y - size:.1f}" width="{2 * size:.1f}" height="{2 * size:.1f}" '
            f'fill="{colour}" fill-opacity="0.8"/>'
        )
    if shape == "diamond":
        s = size * 1.3
        return (
            f'<path d="M{x:.1f} {y - s:.1f}L{x + s:.1f} {y:.1f}L{x:.1f} {y + s:.1f}L{x - s:.1f} {y:.1f}Z" '
            f'fill="{colour}"/>'
        )
    if shape == "triangle":
        s = size * 1.2
        return f'<path d="M{x:.1f} {y - s:.1f}L{x + s:.1f} {y + s:.1f}L{x - s:.1f} {y + s:.1f}Z" fill="{colour}"/>'
    if shape == "cross":
        return (
            f'<path d="M{x - size:.1f} {y - size:.1f}L{x + size:.1f} {y + size:.1f}M{x + size:.1f} {y - size:.1f}'
            f'L{x - size:.1f} {y + size:.1f}" stroke="{colour}" stroke-width="2"/>'
        )
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{size + 0.8}" fill="none" stroke="{colour}" stroke-width="1.8"/>'


def request_timeline(timeline: Mapping[str, Any], *, ident: str, title: str) -> str:
    """The API's requests over the run: x the seconds since the run started, y the milliseconds the exchange
    took, each point's shape and colour its status class; the 429 waits shaded across the plot."""
    points: list[list[Any]] = list(timeline["points"])
    waits: list[list[float]] = list(timeline["waits_on_429"])
    left, right, top, plot_height = 64, 20, 40, 220
    height = top + plot_height + 44
    plot_width = WIDTH - left - right
    last = max([point[0] + point[1] / 1000 for point in points] + [end for _, end in waits] + [0.001])
    x_end, x_ticks = _ticks(last)
    y_end, y_ticks = _ticks(max([point[1] for point in points] + [1.0]))

    def x_of(seconds: float) -> float:
        return left + seconds / x_end * plot_width

    def y_of(milliseconds: float) -> float:
        return top + plot_height - milliseconds / y_end * plot_height

    classes: dict[str, int] = {}
    for point in points:
        kind = status_class(point[2])
        classes[kind] = classes.get(kind, 0) + 1
    latencies = [point[1] for point in points]
    waited = sum(end - start for start, end in waits)
    described = (
        f"{plural(len(points), 'request')} over {_number(last)} s"
        + (f" (every {timeline['sampled_every']}th request shown)" if timeline.get("sampled_every", 1) > 1 else "")
        + (
            f"; latency median {_number(statistics.median(latencies))} ms, slowest {_number(max(latencies))} ms"
            if latencies
            else ""
        )
        + "; "
        + ", ".join(f"{STATUS_LOOK[kind][0]}: {classes[kind]}" for kind in STATUS_LOOK if classes.get(kind))
        + (f"; {plural(len(waits), 'wait')} on 429 answers, {_number(waited)} s in all" if waits else "")
    )
    parts = [_open(ident, WIDTH, height, title, described)]
    legend_x = float(left)
    for kind, (label, colour, shape) in STATUS_LOOK.items():
        if not classes.get(kind):
            continue
        parts.append(
            _marker(shape, legend_x + 4, 14, colour)
            + f'<text x="{legend_x + 12}" y="18">{text(label)} ({classes[kind]})</text>'
        )
        legend_x += 30 + 7 * len(f"{label} ({classes[kind]})")
    if waits:
        parts.append(
            f'<rect x="{legend_x}" y="8" width="14" height="12" fill="#ffb74d" fill-opacity="0.45" stroke="#ef6c00" '
            f'stroke-dasharray="2 2"/><text x="{legend_x + 19}" y="18">waiting on a 429</text>'
        )
    for start, end in waits:
        parts.append(
            f'<rect data-wait="{start:g}-{end:g}" x="{x_of(start):.1f}" y="{top}" '
            f'width="{max(1.0, x_of(end) - x_of(start)):.1f}" height="{plot_height}" fill="#ffb74d" '
            'fill-opacity="0.45" stroke="#ef6c00" stroke-dasharray="2 2">'
            f"<title>waited {_number(end - start)} s on a 429, from {_number(start)} s</title></rect>"
        )
    for tick in y_ticks:
        y = y_of(tick)
        parts.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_width}" y2="{y:.1f}" stroke="#e4e7eb"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#66707a">{_number(tick)}</text>'
        )
    for tick in x_ticks:
        x = x_of(tick)
        parts.append(
            f'<line x1="{x:.1f}" y1="{top + plot_height}" x2="{x:.1f}" y2="{top + plot_height + 4}" stroke="#66707a"/>'
            f'<text x="{x:.1f}" y="{top + plot_height + 17}" text-anchor="middle" fill="#66707a">{_number(tick)}</text>'
        )
    parts.append(
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + plot_height}" stroke="#66707a"/>'
        f'<line x1="{left}" y1="{top + plot_height}" x2="{left + plot_width}" y2="{top + plot_height}" '
        'stroke="#66707a"/>'
        f'<text x="{left + plot_width / 2}" y="{height - 6}" text-anchor="middle">seconds since the run started</text>'
        f'<text transform="translate(14 {top + plot_height / 2}) rotate(-90)" text-anchor="middle">latency (ms)</text>'
    )
    for kind, (_, colour, shape) in STATUS_LOOK.items():
        mine = [point for point in points if status_class(point[2]) == kind]
        if mine:
            parts.append(f'<g data-status="{kind}" data-count="{len(mine)}">')
            parts += [_marker(shape, x_of(point[0]), y_of(point[1]), colour) for point in mine]
            parts.append("</g>")
    parts.append("</svg>")
    return "".join(parts)


@dataclass(frozen=True)
class TrendRun:
    """One run of a trend: when it started (as written), its verdict, and its requirement counts."""

    started: str
    verdict: str
    counts: Mapping[str, int]


def trend_lines(runs: Sequence[TrendRun], *, ident: str, title: str) -> str:
    """Pass, fail and warn counts across runs, oldest first: one line each (its own colour, dash and marker),
    each point's count written beside it, and under each run its start and its verdict."""
    left, right, top, plot_height = 56, 30, 40, 200
    step = 64
    width = max(WIDTH, left + right + step * max(1, len(runs) - 1) + 40)
    height = top + plot_height + 110
    plot_width = width - left - right
    shown = tuple(TREND_LOOK)
    y_end, y_ticks = _ticks(max([run.counts.get(name, 0) for run in runs for name in shown] + [1]))

    def x_of(index: int) -> float:
        return left + 20 + (index * (plot_width - 40) / (len(runs) - 1) if len(runs) > 1 else (plot_width - 40) / 2)

    def y_of(count: float) -> float:
        return top + plot_height - count / y_end * plot_height

    described = "; ".join(
        f"{printable_line(run.started)} {printable_line(run.verdict)}: "
        + ", ".join(f"{run.counts.get(name, 0)} {name}" for name in shown)
        for run in runs
    )
    parts = [_open(ident, width, height, title, described or "no runs")]
    for index, name in enumerate(shown):
        colour, dash, shape = TREND_LOOK[name]
        x = left + index * 110
        dashes = f' stroke-dasharray="{dash}"' if dash else ""
        parts.append(
            f'<line x1="{x}" y1="14" x2="{x + 28}" y2="14" stroke="{colour}" stroke-width="2"{dashes}/>'
            + _marker(shape, x + 14, 14, colour)
            + f'<text x="{x + 34}" y="18">{name}</text>'
        )
    for tick in y_ticks:
        y = y_of(tick)
        parts.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_width}" y2="{y:.1f}" stroke="#e4e7eb"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#66707a">{_number(tick)}</text>'
        )
    parts.append(
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + plot_height}" stroke="#66707a"/>'
        f'<line x1="{left}" y1="{top + plot_height}" x2="{left + plot_width}" y2="{top + plot_height}" '
        'stroke="#66707a"/>'
        f'<text transform="translate(14 {top + plot_height / 2}) rotate(-90)" text-anchor="middle">requirements</text>'
    )
    for name in shown:
        colour, dash, shape = TREND_LOOK[name]
        dashes = f' stroke-dasharray="{dash}"' if dash else ""
        line = " ".join(f"{x_of(index):.1f},{y_of(run.counts.get(name, 0)):.1f}" for index, run in enumerate(runs))
        parts.append(
            f'<g data-line="{name}"><polyline points="{line}" fill="none" stroke="{colour}" stroke-width="2"{dashes}/>'
        )
        for index, run in enumerate(runs):
            count = run.counts.get(name, 0)
            at, height_of = x_of(index), y_of(count)
            parts.append(
                f'<g data-run="{index}" data-count="{count}"><title>{text(run.started)} ({text(run.verdict)}): '
                f"{count} {name}</title>{_marker(shape, at, height_of, colour)}"
                f'<text x="{at + 6:.1f}" y="{height_of - 5:.1f}" font-size="10" fill="{colour}">{count}</text></g>'
            )
        parts.append("</g>")
    for index, run in enumerate(runs):
        parts.append(
            f'<g data-run="{index}" data-verdict="{text(run.verdict)}" '
            f'transform="translate({x_of(index):.1f} {top + plot_height + 14})">'
            f'<text transform="rotate(30)" font-size="11"><tspan font-weight="600">{text(run.verdict, 14)}</tspan>'
            f'<tspan x="0" dy="13" fill="#66707a">{text(run.started, 16)}</tspan></text></g>'
        )
    parts.append("</svg>")
    return "".join(parts)
