"""The findings in a scanner's JSON report, for scripts/scan.sh, and checkov's waivers applied.

    scan_report.py checkov REPORT WAIVERS SCANNED_FILE...
    scan_report.py hadolint|ruff REPORT
    scan_report.py pip-audit REPORT REQUIREMENTS_FILE

Prints a first line "FINDINGS WAIVED REPORTED" (REPORTED: the findings in the report, waived
or not), then each finding as the tool describes it. Exits 2, with the reason on stderr,
when the report or the waiver file cannot be read.

checkov's waivers for Kubernetes objects live in WAIVERS (.checkov-waivers.yaml, whose
header gives the format): a failed check is waived only where its check id, file and object
all match a waiver. A waiver on a file that was scanned but that waives no failed check (the
check passes on that object, or the file has no such object), or on a file that does not
exist, is a finding itself. WAIVED counts these waivers plus the checks checkov skipped for
a `# checkov:skip=` comment in a Dockerfile.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

CHECK_ID = re.compile(r"CKV2?_[A-Z0-9]+_\d+")
# Kind/name or Kind/namespace/name.
OBJECT = re.compile(r"(?P<kind>[A-Za-z]+)/(?:(?P<namespace>[a-z0-9.-]+)/)?(?P<name>[a-z0-9.-]+)")
# checkov runs some checks on the pods a workload's template makes, and reports them on
# "Pod.<namespace>.<workload name>.<labels>": a waiver on the workload covers those too.
WORKLOADS = {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob"}


class Unreadable(Exception):
    pass


def load_json(path: str) -> object:
    try:
        return json.loads(Path(path).read_text())
    except (OSError, ValueError) as e:
        raise Unreadable(f"no JSON report in {path}: {e}") from e


@dataclass(frozen=True)
class Waiver:
    check: str
    file: Path
    kind: str
    namespace: str | None
    name: str

    def covers(self, check: str, file: Path, resource: str) -> bool:
        if check != self.check or file != self.file:
            return False
        kind, _, rest = resource.partition(".")
        namespace, _, name = rest.partition(".")
        if self.namespace not in (None, namespace):
            return False
        if kind == self.kind:
            return name == self.name
        return kind == "Pod" and self.kind in WORKLOADS and name.startswith(f"{self.name}.")

    def __str__(self) -> str:
        space = f"{self.namespace}/" if self.namespace else ""
        return f"{self.check} on {self.kind}/{space}{self.name} in {self.file}"


def load_waivers(path: Path) -> list[Waiver]:
    import yaml  # checkov's own dependency, in .venv-scan

    try:
        waivers = (yaml.safe_load(path.read_text()) or {}).get("waivers") or []
    except (OSError, yaml.YAMLError, AttributeError) as e:
        raise Unreadable(f"{path}: {e}") from e
    found = []
    for number, waiver in enumerate(waivers, 1):
        where = f"{path.name}, waiver {number}"
        if not isinstance(waiver, dict) or set(waiver) != {"check", "reason", "objects"}:
            raise Unreadable(f"{where}: give exactly check, reason and objects")
        check, reason, objects = waiver["check"], waiver["reason"], waiver["objects"]
        if not (isinstance(check, str) and CHECK_ID.fullmatch(check)):
            raise Unreadable(f"{where}: {check!r} is not a checkov check id")
        if not (isinstance(reason, str) and reason.strip()):
            raise Unreadable(f"{where}: no reason given")
        if not (isinstance(objects, dict) and objects):
            raise Unreadable(f"{where}: objects must map files to Kind/name")
        for file, refs in objects.items():
            for ref in [refs] if isinstance(refs, str) else refs or []:
                match = OBJECT.fullmatch(str(ref))
                if not match:
                    raise Unreadable(f"{where}: {ref!r} is not Kind/name or Kind/namespace/name")
                found.append(
                    Waiver(check, Path(file), match["kind"], match["namespace"], match["name"])
                )
    return found


def unparsable(manifests: Iterable[str]) -> None:
    """checkov passes a YAML file it cannot parse as having no objects: that is an error."""
    import yaml

    for manifest in manifests:
        try:
            list(yaml.safe_load_all(Path(manifest).read_text()))
        except (OSError, yaml.YAMLError) as e:
            raise Unreadable(f"checkov cannot read {manifest}: {e}") from e


def relative(path: str, root: Path) -> Path:
    absolute = Path(path).resolve()
    return absolute.relative_to(root) if absolute.is_relative_to(root) else absolute


def checkov(report: str, waivers_file: str, *scanned: str) -> tuple[list[str], int, int]:
    root = Path.cwd().resolve()
    loaded = load_json(report)
    # One report per framework, or one report alone, or only a summary when nothing was found.
    reports = loaded if isinstance(loaded, list) else [loaded]
    waivers = load_waivers(Path(waivers_file))
    unparsable(f for f in scanned if f.endswith((".yaml", ".yml")))
    findings, used, waived, reported = [], set(), 0, 0
    for one in reports:
        summary = one.get("summary", one) if isinstance(one, dict) else None
        if summary is None or "failed" not in summary:
            raise Unreadable(f"{report} is not a checkov report")
        if summary.get("parsing_errors"):
            raise Unreadable(f"checkov could not parse {summary['parsing_errors']} file(s)")
        waived += summary.get("skipped", 0)  # a `# checkov:skip=` comment in a Dockerfile
        for failed in one.get("results", {}).get("failed_checks", []):
            reported += 1
            check, resource = failed["check_id"], failed["resource"]
            file = relative(failed["file_abs_path"], root)
            waiver = next((w for w in waivers if w.covers(check, file, resource)), None)
            if waiver:
                used.add(waiver)
                waived += 1
                continue
            first, last = failed.get("file_line_range") or (0, 0)
            findings.append(
                f'Check: {check}: "{failed["check_name"]}"\n'
                f"\tFAILED for resource: {resource}\n\tFile: {file}:{first}-{last}"
            )
    if not any(one.get("summary", one).get("resource_count") for one in reports):
        raise Unreadable("checkov found nothing to check in the files it was given")
    scanned_files = {relative(f, root) for f in scanned}
    for waiver in waivers:
        if not (root / waiver.file).is_file():
            findings.append(f"Waiver: {waiver}: no such file ({waivers_file})")
        elif waiver.file in scanned_files and waiver not in used:
            findings.append(
                f"Waiver: {waiver} waives nothing: the check passes on that object, or the"
                f" file has no such object; remove or correct it ({waivers_file})"
            )
    return findings, waived, reported


def hadolint(report: str) -> tuple[list[str], int, int]:
    lines = [
        f"{f['file']}:{f['line']} {f['code']} {f['level']}: {f['message']}"
        for f in load_json(report)
    ]
    return lines, 0, len(lines)


def ruff(report: str) -> tuple[list[str], int, int]:
    root = Path.cwd().resolve()
    lines = []
    for f in load_json(report):
        where = f"{relative(f['filename'], root)}:{f['location']['row']}:{f['location']['column']}"
        lines.append(f"{where}: {f['code'] or 'syntax-error'} {f['message']}")
    return lines, 0, len(lines)


def pip_audit(report: str, requirements: str) -> tuple[list[str], int, int]:
    lines = []
    for dep in load_json(report)["dependencies"]:
        for vuln in dep.get("vulns", []):
            fixed = ", ".join(vuln.get("fix_versions") or []) or "no fixed release"
            lines.append(
                f"{requirements}: {dep['name']} {dep['version']} {vuln['id']} (fixed in {fixed})"
            )
    return lines, 0, len(lines)


TOOLS = {"checkov": checkov, "hadolint": hadolint, "ruff": ruff, "pip-audit": pip_audit}


def main(argv: list[str]) -> int:
    if len(argv) < 2 or argv[0] not in TOOLS:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    try:
        findings, waived, reported = TOOLS[argv[0]](*argv[1:])
    except Unreadable as e:
        print(f"scan_report: {e}", file=sys.stderr)
        return 2
    except (KeyError, TypeError, AttributeError) as e:
        print(f"scan_report: {argv[1]} is not a {argv[0]} report ({e!r})", file=sys.stderr)
        return 2
    print(len(findings), waived, reported)
    for finding in findings:
        print(finding)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
