"""Journal: one fsync'ed JSON line per event, append-only, rotated, and surviving write errors."""

from __future__ import annotations

import errno
import json
import logging
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from dns_probe.journal import Journal, encode_line


def record(number: int) -> dict[str, Any]:
    return {"time": "2026-01-01T00:00:00.000Z", "event": "check_failed", "check": number}


def points_at(fd: int, path: Path) -> bool:
    try:
        return os.readlink(f"/proc/self/fd/{fd}") == str(path)
    except OSError:
        return False


@pytest.fixture
def journal(log_path: Path, fake_clock: Any) -> Iterator[Journal]:
    journal = Journal(str(log_path), clock=fake_clock)
    yield journal
    journal.close()


@pytest.fixture
def failing_writes(monkeypatch: pytest.MonkeyPatch, log_path: Path) -> dict[str, Any]:
    """Makes os.write fail with ENOSPC for the journal file only, while switched on."""
    control: dict[str, Any] = {"on": True, "partial_once": False}
    real_write = os.write

    def write(fd: int, data: Any) -> int:
        if control["on"] and points_at(fd, log_path):
            if control["partial_once"]:
                control["partial_once"] = False
                return real_write(fd, bytes(data[: len(data) // 2]))
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_write(fd, data)

    monkeypatch.setattr(os, "write", write)
    return control


def test_each_record_becomes_one_json_line_in_order(
    journal: Journal, log_path: Path, read_journal: Callable[..., list[dict[str, Any]]]
) -> None:
    for number in range(3):
        assert journal.write(record(number)) is True
    assert read_journal() == [record(0), record(1), record(2)]
    assert log_path.read_bytes().count(b"\n") == 3


def test_encoded_line_is_compact_ascii_json_with_one_newline() -> None:
    line = encode_line({"event": "state_changed", "from": "ok", "note": "café"})
    assert line == b'{"event":"state_changed","from":"ok","note":"caf\\u00e9"}\n'


def test_each_line_is_fsynced_before_write_returns(
    journal: Journal, log_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_fsync = os.fsync
    lines_on_disk_at_fsync: list[int] = []

    def fsync(fd: int) -> None:
        if points_at(fd, log_path):
            lines_on_disk_at_fsync.append(log_path.read_bytes().count(b"\n"))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    for number in range(3):
        journal.write(record(number))
        assert lines_on_disk_at_fsync[-1] == number + 1
    assert lines_on_disk_at_fsync == [1, 2, 3]


def test_reopening_appends_and_never_truncates(
    log_path: Path, read_journal: Callable[..., list[dict[str, Any]]]
) -> None:
    first = Journal(str(log_path))
    first.write(record(1))
    first.write(record(2))
    first.close()
    second = Journal(str(log_path))
    assert second.open() is True
    second.write(record(3))
    second.close()
    assert [r["check"] for r in read_journal()] == [1, 2, 3]


def test_missing_directory_is_created(log_path: Path) -> None:
    assert not log_path.parent.exists()
    journal = Journal(str(log_path))
    assert journal.write(record(1))
    journal.close()
    assert log_path.is_file()


def test_rotates_at_the_size_limit_and_keeps_the_configured_backups(
    log_path: Path, read_journal: Callable[..., list[dict[str, Any]]]
) -> None:
    line_size = len(encode_line(record(10)))
    journal = Journal(str(log_path), max_bytes=3 * line_size, backups=2)
    for number in range(10, 30):
        journal.write(record(number))
    journal.close()

    backups = [Path(f"{log_path}.{i}") for i in (1, 2)]
    assert all(b.exists() for b in backups)
    assert not Path(f"{log_path}.3").exists()
    for path in [log_path, *backups]:
        assert path.stat().st_size <= 3 * line_size
    kept = [r["check"] for path in [*reversed(backups), log_path] for r in read_journal(path)]
    assert kept == list(range(30 - len(kept), 30)), "rotation keeps the newest lines in order"
    assert journal.status()["rotations"] >= 5


def test_zero_max_bytes_never_rotates(log_path: Path) -> None:
    journal = Journal(str(log_path), max_bytes=0)
    for number in range(50):
        journal.write(record(number))
    journal.close()
    assert not Path(f"{log_path}.1").exists()


def test_write_error_is_reported_and_lines_are_written_once_writable(
    tmp_path: Path, fake_clock: Any, read_journal: Callable[..., list[dict[str, Any]]]
) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the journal's directory should be\n")
    path = blocker / "events.jsonl"
    journal = Journal(str(path), clock=fake_clock)

    assert journal.write(record(1)) is False
    assert journal.write(record(2)) is False
    status = journal.status()
    assert status["ok"] is False
    assert status["pending_lines"] == 2
    assert status["write_errors"] == 2
    assert status["last_write_error"]["errno"] in ("ENOTDIR", "EEXIST")
    assert status["last_write_error"]["time"] == "2026-01-01T00:00:00.000Z"

    blocker.unlink()
    assert journal.write(record(3)) is True
    journal.close()
    assert [r["check"] for r in read_journal(path)] == [1, 2, 3]
    status = journal.status()
    assert status["ok"] is True
    assert status["pending_lines"] == 0
    assert status["lines_written"] == 3
    assert status["last_write_error"] is not None, "the last error stays visible after recovery"


def test_enospc_keeps_lines_in_memory_until_space_returns(
    journal: Journal,
    failing_writes: dict[str, Any],
    read_journal: Callable[..., list[dict[str, Any]]],
) -> None:
    journal.write(record(0))  # opens the file while writes still fail
    journal.write(record(1))
    assert journal.status()["last_write_error"]["errno"] == "ENOSPC"
    assert read_journal() == []

    failing_writes["on"] = False
    journal.write(record(2))
    assert [r["check"] for r in read_journal()] == [0, 1, 2]


def test_partial_write_before_enospc_leaves_every_whole_line_parseable(
    journal: Journal, log_path: Path, failing_writes: dict[str, Any]
) -> None:
    failing_writes.update(on=True, partial_once=True)
    journal.write(record(1))
    failing_writes["on"] = False
    journal.write(record(2))

    lines = log_path.read_bytes().splitlines()
    fragment, *whole = lines
    assert fragment == encode_line(record(1))[: len(fragment)], "only the torn fragment is odd"
    assert [json.loads(line)["check"] for line in whole] == [1, 2]


def test_torn_last_line_from_a_crash_is_closed_before_appending(
    log_path: Path,
) -> None:
    log_path.parent.mkdir()
    log_path.write_bytes(encode_line(record(1)) + b'{"time":"2026-01-01T00:0')
    journal = Journal(str(log_path))
    journal.write(record(2))
    journal.close()
    lines = log_path.read_bytes().splitlines()
    assert json.loads(lines[0])["check"] == 1
    assert lines[1] == b'{"time":"2026-01-01T00:0'
    assert json.loads(lines[2])["check"] == 2


def test_a_lasting_error_is_logged_once_not_on_every_write(
    journal: Journal, failing_writes: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="dns_probe.journal"):
        for number in range(5):
            journal.write(record(number))
        failing_writes["on"] = False
        journal.write(record(5))
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1
    assert "No space left on device" in errors[0].getMessage()
    assert any("writable again" in r.getMessage() for r in caplog.records)


def test_memory_for_unwritten_lines_is_bounded_and_losses_counted(
    log_path: Path, failing_writes: dict[str, Any], read_journal: Callable[..., list[Any]]
) -> None:
    journal = Journal(str(log_path), max_pending_lines=2)
    for number in range(5):
        journal.write(record(number))
    assert journal.status()["dropped_lines"] == 3
    failing_writes["on"] = False
    journal.write(record(5))
    journal.close()
    assert [r["check"] for r in read_journal()] == [4, 5]


def test_backups_must_keep_at_least_one_file(log_path: Path) -> None:
    with pytest.raises(ValueError, match="backups"):
        Journal(str(log_path), backups=0)
