"""The shell commands of a Markdown document, and one bash that runs them in order.

A document's ```sh blocks are read as commands, one per line (a trailing backslash joins
lines), each with the comment that says what it shows. The commands run in one bash process,
as a reader pastes them into one terminal: a background job (`cmd &`) stays up for the next
commands and `kill %1` stops it.
"""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import tempfile
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from service_runtime.testing import poll

_FENCE = re.compile(r"^```(\w*)\s*$")
SHELL_LANGUAGES = ("sh", "bash", "shell")


@dataclass(frozen=True)
class Command:
    """One command of a document: where it stands, what it runs and what it says it shows."""

    section: str
    text: str
    comment: str

    @property
    def key(self) -> tuple[str, str]:
        return self.text, self.comment

    def __str__(self) -> str:
        return f"{self.text}  # {self.comment}" if self.comment else self.text


def split_comment(line: str) -> tuple[str, str]:
    """`cmd  # says` -> ("cmd", "says"); a # inside quotes or a word is not a comment."""
    for match in re.finditer(r"(?:^|\s)#", line):
        before = line[: match.start()]
        if before.count("'") % 2 == 0 and before.count('"') % 2 == 0:
            return before.strip(), line[match.end() :].strip()
    return line.strip(), ""


def shell_commands(markdown: str) -> list[Command]:
    """Every command of the document's shell blocks, in order, under its section heading."""
    commands: list[Command] = []
    section, language, pending = "", None, ""
    for line in markdown.splitlines():
        fence = _FENCE.match(line)
        if fence:
            if language is None:
                language = fence.group(1)
            else:
                if pending:
                    raise ValueError(f"{section}: a block ends inside a continued line")
                language = None
            continue
        if language is None:
            if line.startswith("#"):
                section = line.lstrip("#").strip()
            continue
        if language not in SHELL_LANGUAGES:
            continue
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1].strip() + " "
            continue
        text, comment = split_comment(pending + line.strip())
        pending = ""
        if text:
            commands.append(Command(section, text, comment))
    if language is not None:
        raise ValueError(f"{section}: a code block is not closed")
    return commands


def unmatched(commands: list[Command], checked: set[tuple[str, str]]) -> tuple[list, list]:
    """Commands with no check, and checks whose command the document no longer has."""
    keys = {command.key for command in commands}
    unchecked = [str(command) for command in commands if command.key not in checked]
    stale = [
        f"{text}  # {comment}" if comment else text for text, comment in sorted(checked - keys)
    ]
    return unchecked, stale


@dataclass(frozen=True)
class Result:
    command: str
    exit_code: int
    output: str  # stdout and stderr, interleaved as a terminal shows them

    @property
    def ok(self) -> bool:
        return self.exit_code == 0


class Shell:
    """One bash process, fed one command at a time; each command's output is kept apart."""

    def __init__(self, cwd: Path, environ: Mapping[str, str], timeout: float = 120) -> None:
        self.timeout = timeout
        self._dir = Path(tempfile.mkdtemp(prefix="readme-shell-"))
        self._count = 0
        self._process = subprocess.Popen(
            ["bash", "--noprofile", "--norc"],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            cwd=cwd,
            env=dict(environ),
            text=True,
            start_new_session=True,
        )

    def run(self, command: str, timeout: float | None = None) -> Result:
        """Run COMMAND as typed, wait for it (not for the jobs it leaves in the background)."""
        self._count += 1
        out = self._dir / f"{self._count}.out"
        done = self._dir / f"{self._count}.rc"
        # The command's own text goes into the shell unchanged; only its output is redirected.
        self._process.stdin.write(f"{{\n{command}\n}} >{out} 2>&1 </dev/null\necho $? >{done}\n")
        self._process.stdin.flush()

        def finished() -> bool:
            return done.exists() and bool(done.read_text().strip())

        def shell_exited() -> bool:
            return self._process.poll() is not None

        if not poll(lambda: finished() or shell_exited(), timeout or self.timeout):
            self.close()
            raise TimeoutError(f"still running after {timeout or self.timeout} s: {command}")
        if not finished():
            raise RuntimeError(f"the shell exited ({self._process.returncode}) at: {command}")
        return Result(command, int(done.read_text()), out.read_text(errors="replace"))

    def output_of(self, command_number: int) -> str:
        """What the NUMBERth command has printed so far (a background job keeps writing)."""
        path = self._dir / f"{command_number}.out"
        return path.read_text(errors="replace") if path.exists() else ""

    @property
    def commands_run(self) -> int:
        return self._count

    def until(
        self, command: str, shows: Callable[[Result], bool], timeout: float, interval: float = 1
    ) -> Result:
        """Run COMMAND again until SHOWS holds for its result, as a reader would re-run it."""
        results = []

        def shown() -> bool:
            results.append(self.run(command))
            return shows(results[-1])

        poll(shown, timeout, interval)
        return results[-1]

    def close(self) -> None:
        """Stop the shell and every job it started (they share its session)."""
        if self._process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self._process.pid, 15)
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self._process.pid, 9)
                self._process.wait(timeout=10)


def private_kubeconfig(kubeconfig: str | None, context: str | None, directory: Path) -> Path:
    """A copy of the cluster's kubeconfig, one context only, that the commands may change."""
    args = ["kubectl", "config", "view", "--raw", "--minify", "--flatten"]
    if kubeconfig:
        args += ["--kubeconfig", kubeconfig]
    if context:
        args += ["--context", context]
    text = subprocess.run(args, capture_output=True, text=True, check=True, timeout=30).stdout
    path = directory / f"kubeconfig-{uuid.uuid4().hex[:8]}"
    path.write_text(text)
    path.chmod(0o600)
    return path
