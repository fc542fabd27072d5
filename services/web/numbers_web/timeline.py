"""The probe's recent history as an SVG strip: green while the name resolved, red while not."""

from __future__ import annotations

from datetime import datetime, timedelta
from html import escape

from .probe_view import ProbeView

WIDTH, HEIGHT, BAR_TOP, BAR_HEIGHT = 720, 70, 18, 30
OK_COLOUR, UNKNOWN_COLOUR = "#2e9e4f", "#c9ced6"
# One colour per reason, so a learner can tell "no Service" from "DNS is down" at a glance.
REASON_COLOURS = {
    "nxdomain": "#d33a2c",
    "no_answer": "#e07b39",
    "timeout": "#8e44ad",
    "servfail": "#b03060",
    "no_nameservers": "#6d4c41",
    "http_connect": "#c0392b",
    "http_timeout": "#7d3c98",
    "http_status": "#a04000",
}


def reason_colour(reason: str) -> str:
    return REASON_COLOURS.get(reason, "#d33a2c")


def describe_seconds(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f} s"
    return f"{int(seconds // 60)} min {int(seconds % 60)} s"


def render_timeline(view: ProbeView, now: datetime, window_seconds: int = 300) -> str:
    """An SVG (string) of the last window_seconds ending at now; no scripts, no styles."""
    window_start = now - timedelta(seconds=window_seconds)

    def x(moment: datetime) -> float:
        clamped = min(max(moment, window_start), now)
        return round((clamped - window_start).total_seconds() / window_seconds * WIDTH, 1)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}" role="img" class="timeline" '
        f'aria-label="DNS checks of {escape(view.target)} over the last '
        f'{describe_seconds(window_seconds)}">',
        f'<rect x="0" y="{BAR_TOP}" width="{WIDTH}" height="{BAR_HEIGHT}" '
        f'fill="{UNKNOWN_COLOUR}"><title>not probed</title></rect>',
    ]
    if view.first_check_at is not None:
        begin = x(view.first_check_at)
        parts.append(
            f'<rect x="{begin}" y="{BAR_TOP}" width="{round(WIDTH - begin, 1)}" '
            f'height="{BAR_HEIGHT}" fill="{OK_COLOUR}" data-state="ok">'
            f"<title>{escape(view.target)} resolved</title></rect>"
        )
    for outage in view.outages:
        end = outage.end or now
        if end < window_start:
            continue
        left, right = x(outage.start), x(end)
        width = max(right - left, 2.0)
        ongoing = " (ongoing)" if outage.end is None else ""
        label = f"{outage.reason} {describe_seconds(outage.duration_seconds)}{ongoing}"
        parts.append(
            f'<rect x="{left}" y="{BAR_TOP}" width="{round(width, 1)}" height="{BAR_HEIGHT}" '
            f'fill="{reason_colour(outage.reason)}" data-state="failing" '
            f'data-reason="{escape(outage.reason)}"><title>{escape(label)}, '
            f"{outage.failed_checks} failed checks</title></rect>"
        )
        # The duration is written on the strip itself, above it when the segment is narrow,
        # and kept inside the picture when the outage is at its right edge.
        label_width = 7 * len(label)
        inside = width >= label_width + 8
        text_y = BAR_TOP + BAR_HEIGHT / 2 + 4 if inside else BAR_TOP - 5
        fill = "#ffffff" if inside else "#1d2430"
        text_x, anchor = round(left + 4, 1), "start"
        if text_x + label_width > WIDTH:
            text_x, anchor = WIDTH, "end"
        parts.append(
            f'<text x="{text_x}" y="{text_y}" font-size="12" font-family="sans-serif" '
            f'fill="{fill}" text-anchor="{anchor}">{escape(label)}</text>'
        )
    parts.append(
        f'<text x="0" y="{HEIGHT - 4}" font-size="11" font-family="sans-serif" '
        f'fill="#667">{describe_seconds(window_seconds)} ago</text>'
        f'<text x="{WIDTH}" y="{HEIGHT - 4}" font-size="11" font-family="sans-serif" '
        f'fill="#667" text-anchor="end">now ({now:%H:%M:%S} UTC)</text>'
    )
    parts.append("</svg>")
    return "".join(parts)
