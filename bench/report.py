"""The results: rows with their goals marked met or missed, as a table, markdown and JSON."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

MET, MISSED, SKIPPED, INFO = "met", "MISSED", "skipped", ""


@dataclass
class Row:
    key: str
    section: str
    measure: str
    value: float | int | None
    unit: str = ""
    #: the goal as a reader sees it, e.g. ">= 0.60"; empty for figures given for information
    goal: str = ""
    #: True met, False missed, None no goal or not measured
    met: bool | None = None
    #: what the value is made of ("0 of 1012 requests") or why it was skipped
    note: str = ""

    @property
    def result(self) -> str:
        if self.value is None:
            return SKIPPED
        if self.met is None:
            return INFO
        return MET if self.met else MISSED


def at_least(key, section, measure, value, limit, unit="", note="", shown=None) -> Row:
    """A row whose goal is value >= limit."""
    met = None if value is None else value >= limit
    return Row(key, section, measure, value, unit, f">= {shown or _fmt(limit)}", met, note)


def at_most(key, section, measure, value, limit, unit="", note="", shown=None) -> Row:
    """A row whose goal is value <= limit."""
    met = None if value is None else value <= limit
    return Row(key, section, measure, value, unit, f"<= {shown or _fmt(limit)}", met, note)


def info(key, section, measure, value, unit="", note="") -> Row:
    return Row(key, section, measure, value, unit, "", None, note)


def skipped(key, section, measure, reason, goal="") -> Row:
    return Row(key, section, measure, None, "", goal, None, reason)


def _fmt(value: float | int | None) -> str:
    if value is None:
        return "-"
    if isinstance(value, int) or (float(value).is_integer() and abs(value) >= 10):
        return f"{value:,.0f}" if abs(value) >= 10_000 else f"{value:.0f}"
    if abs(value) >= 100:
        return f"{value:.0f}"
    if abs(value) >= 1:
        return f"{value:.1f}" if abs(value) >= 10 else f"{value:.2f}"
    # Three places below 1, so that a ratio of 0.599 against a goal of 0.60 reads as missed.
    return "0" if value == 0 else f"{value:.3f}"


def shown_value(row: Row) -> str:
    if row.value is None:
        return "-"
    return f"{_fmt(row.value)} {row.unit}".strip()


def _cells(row: Row) -> list[str]:
    return [row.section, row.measure, shown_value(row), row.goal, row.result, row.note]


HEADER = ["section", "measure", "value", "goal", "result", "note"]


def table(rows: list[Row]) -> str:
    """A plain-text table for the terminal."""
    lines = [HEADER, *(_cells(row) for row in rows)]
    widths = [max(len(line[col]) for line in lines) for col in range(len(HEADER))]
    text = ["  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip()
            for line in lines]  # fmt: skip
    text.insert(1, "  ".join("-" * w for w in widths))
    met = sum(row.result == MET for row in rows)
    missed = sum(row.result == MISSED for row in rows)
    skipped_count = sum(row.result == SKIPPED for row in rows)
    text.append("")
    text.append(f"goals: {met} met, {missed} missed, {skipped_count} skipped")
    return "\n".join(text)


def markdown(rows: list[Row], machine: dict | None = None) -> str:
    """The same table in markdown, with the machine it was measured on."""

    def escape(cell: str) -> str:
        return cell.replace("|", "\\|")

    out = []
    if machine:
        out.append(machine_line(machine))
        out.append("")
    out.append("| " + " | ".join(HEADER) + " |")
    out.append("| " + " | ".join("---" for _ in HEADER) + " |")
    for row in rows:
        cells = _cells(row)
        if row.result == MISSED:
            cells[4] = "**MISSED**"
        out.append("| " + " | ".join(escape(cell) for cell in cells) + " |")
    return "\n".join(out) + "\n"


def machine_line(machine: dict) -> str:
    return (
        f"Measured {machine.get('date', '?')} on {machine.get('nproc', '?')} cores "
        f"({machine.get('cpu_model', '?')}), {machine.get('os', '?')}, "
        f"kernel {machine.get('kernel', '?')}, "
        f"Docker {machine.get('docker', '?')}, Python {machine.get('python', '?')}, "
        f"gunicorn {machine.get('gunicorn', '?')}, {machine.get('wrk', '?')}, "
        f"vegeta {machine.get('vegeta', '?')}, {machine.get('nginx', '?')}; "
        f"mode: {machine.get('mode', '?')}."
    )


def summary(rows: list[Row]) -> dict:
    return {
        "met": sum(row.result == MET for row in rows),
        "missed": [row.key for row in rows if row.result == MISSED],
        "skipped": [row.key for row in rows if row.result == SKIPPED],
    }


def read_json(path: Path) -> tuple[list[Row], dict, dict]:
    """Rows, machine and data of a results file written by write_json."""
    document = json.loads(path.read_text())
    fields = set(Row.__dataclass_fields__)
    rows = [Row(**{k: v for k, v in row.items() if k in fields}) for row in document["rows"]]
    return rows, document["machine"], document["data"]


def write_json(path: Path, rows: list[Row], machine: dict, data: dict) -> dict:
    document = {
        "machine": machine,
        "summary": summary(rows),
        "rows": [{**asdict(row), "result": row.result} for row in rows],
        "data": data,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2, default=str) + "\n")
    return document


BEGIN, END = "<!-- bench:results:begin -->", "<!-- bench:results:end -->"


def replace_block(document: str, block: str, begin: str = BEGIN, end: str = END) -> str:
    """Put block between the begin and end markers of a markdown document."""
    head, found_begin, rest = document.partition(begin)
    _, found_end, tail = rest.partition(end)
    if not (found_begin and found_end):
        raise ValueError(f"{begin} ... {end} markers not found")
    return f"{head}{begin}\n{block.rstrip()}\n{end}{tail}"
