"""The run's summary: a table on the terminal and demo-report.json for later."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

from .steps import Step

# The figure of each step a reader looks at first, in the table.
HEADLINES = {
    "Pods without a Service": lambda f: (
        f"web {f.get('web_status')} {f.get('web_error_kind')}; "
        f"probe nxdomain x{f.get('probe_failures', {}).get('nxdomain', 0)}"
    ),
    "Create the": lambda f: (
        f"web 200 after {f.get('seconds_to_web_200')} s; "
        f"probe ok after {f.get('seconds_to_probe_ok')} s"
    ),
    "Delete the pods": lambda f: (
        f"{f.get('requests_failed')} of {f.get('requests_sent')} requests failed"
    ),
    "Force-delete a pod": lambda f: (
        f"{f.get('requests_failed')} of {f.get('requests_sent')} requests failed "
        f"({f.get('failed_percent')} %)"
    ),
}


def headline(step: Step) -> str:
    for prefix, render in HEADLINES.items():
        if step.title.startswith(prefix):
            return render(step.figures)
    return ""


def table(steps: list[Step]) -> str:
    rows = [
        (str(i), s.title, "PASS" if s.passed else "FAIL", headline(s))
        for i, s in enumerate(steps, 1)
    ]
    header = ("#", "step", "result", "measured")
    widths = [max(len(row[col]) for row in [header, *rows]) for col in range(4)]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        for row in [header, *rows]
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def write_json(path: Path, backend: str, steps: list[Step], probe: dict) -> dict:
    report = {
        "backend": backend,
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        "passed": all(step.passed for step in steps),
        "steps": [asdict(step) for step in steps],
        "probe": {
            "target": probe.get("target"),
            "checks": probe.get("checks"),
            "failures_by_outcome": probe.get("failures_by_outcome"),
            "outages": probe.get("outages"),
            "address_changes": probe.get("address_changes"),
        },
    }
    path.write_text(json.dumps(report, indent=2, default=str) + "\n")
    return report


def write_html(path: Path, report: dict, timeline_svg: str) -> None:
    """A page for someone who missed the run: the events, the probe's timeline, the figures."""
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    templates = Path(__file__).parent / "templates"
    env = Environment(loader=FileSystemLoader(templates), autoescape=select_autoescape(["html"]))
    figures = [step["figures"] for step in report["steps"]] + [{}, {}, {}, {}]
    html = env.get_template("report.html").render(
        report=report,
        first=figures[0],
        second=figures[1],
        third=figures[2],
        fourth=figures[3],
        timeline=timeline_svg,
    )
    path.write_text(html)
