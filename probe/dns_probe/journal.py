"""Durable JSON-lines journal: one line per event, fsync'ed before the probe publishes the check.

The file is opened in append mode and never truncated, rotated like logging's
RotatingFileHandler (events.jsonl -> events.jsonl.1 -> ... -> events.jsonl.N), and a write
error never escapes: lines wait in memory and are written, in order, once writing works again.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import threading
from collections import deque
from collections.abc import Mapping
from typing import Any

from .clock import Clock, SystemClock, rfc3339

logger = logging.getLogger(__name__)

DEFAULT_MAX_PENDING_LINES = 10_000


def encode_line(record: Mapping[str, Any]) -> bytes:
    """One compact JSON object and a newline; ASCII so a line is never split inside a character."""
    return (json.dumps(record, separators=(",", ":"), allow_nan=False) + "\n").encode("ascii")


class Journal:
    def __init__(
        self,
        path: str,
        *,
        max_bytes: int = 10 * 1024 * 1024,
        backups: int = 5,
        clock: Clock | None = None,
        max_pending_lines: int = DEFAULT_MAX_PENDING_LINES,
    ) -> None:
        if backups < 1:
            raise ValueError("backups must be >= 1 so rotation never discards the live file")
        self.path = os.fspath(path)
        self.max_bytes = max_bytes
        self.backups = backups
        self._clock = clock or SystemClock()
        self._max_pending = max_pending_lines
        self._lock = threading.Lock()
        self._fd: int | None = None
        self._size = 0
        # True when the file may end in a partial line (killed or failed mid-write).
        self._torn = False
        self._pending: deque[bytes] = deque()
        self._failing = False
        self._last_error: dict[str, Any] | None = None
        self._lines_written = 0
        self._write_errors = 0
        self._dropped_lines = 0
        self._rotations = 0

    def open(self) -> bool:
        """Open (or create) the file for appending; False, with the error recorded, if it failed."""
        with self._lock:
            try:
                self._ensure_open()
            except OSError as exc:
                self._record_error(exc)
                return False
            return True

    def write(self, record: Mapping[str, Any]) -> bool:
        """Append *record* as one line and fsync it; False if it is only queued in memory."""
        line = encode_line(record)
        with self._lock:
            if len(self._pending) >= self._max_pending:
                # Memory is bounded: the oldest unwritten line goes, and the loss is counted.
                self._pending.popleft()
                self._dropped_lines += 1
            self._pending.append(line)
            return self._flush_pending()

    def close(self) -> None:
        with self._lock:
            self._close_fd()

    def status(self) -> dict[str, Any]:
        with self._lock:
            return {
                "path": self.path,
                "ok": not self._failing,
                "lines_written": self._lines_written,
                "pending_lines": len(self._pending),
                "dropped_lines": self._dropped_lines,
                "write_errors": self._write_errors,
                "rotations": self._rotations,
                "last_write_error": None if self._last_error is None else dict(self._last_error),
            }

    @property
    def write_errors(self) -> int:
        with self._lock:
            return self._write_errors

    def _flush_pending(self) -> bool:
        try:
            while self._pending:
                line = self._pending[0]
                self._ensure_open()
                # Rotation closes the full file, so open again (a no-op when it did not rotate).
                self._rotate_if_needed(len(line))
                fd = self._ensure_open()
                data = b"\n" + line if self._torn else line
                self._write_all(fd, data)
                os.fsync(fd)
                self._size += len(data)
                self._pending.popleft()
                self._lines_written += 1
        except OSError as exc:
            self._record_error(exc)
            # Reopen on the next attempt: the file may have been replaced or its disk remounted.
            self._close_fd()
            return False
        if self._failing:
            self._failing = False
            logger.info("journal %s is writable again", self.path)
        return True

    def _write_all(self, fd: int, data: bytes) -> None:
        view = memoryview(data)
        written = 0
        try:
            while written < len(view):
                count = os.write(fd, view[written:])
                if count <= 0:
                    raise OSError(errno.EIO, "write made no progress", self.path)
                written += count
        except OSError:
            if written:
                # Part of a line is on disk; the retry starts a fresh line so every line parses.
                self._torn = True
                self._size += written
            raise
        self._torn = False

    def _ensure_open(self) -> int:
        if self._fd is not None:
            return self._fd
        directory = os.path.dirname(self.path) or "."
        os.makedirs(directory, exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            self._size = os.fstat(fd).st_size
            self._torn = self._size > 0 and not _ends_with_newline(self.path)
            _fsync_directory(directory)
        except OSError:
            os.close(fd)
            raise
        self._fd = fd
        return fd

    def _rotate_if_needed(self, incoming: int) -> None:
        if self.max_bytes <= 0 or self._size == 0 or self._size + incoming <= self.max_bytes:
            return
        self._close_fd()
        for index in range(self.backups - 1, 0, -1):
            source = f"{self.path}.{index}"
            if os.path.exists(source):
                os.replace(source, f"{self.path}.{index + 1}")
        os.replace(self.path, f"{self.path}.1")
        _fsync_directory(os.path.dirname(self.path) or ".")
        self._rotations += 1
        self._size = 0
        self._torn = False

    def _close_fd(self) -> None:
        if self._fd is not None:
            fd, self._fd = self._fd, None
            try:
                os.close(fd)
            except OSError as exc:
                logger.warning("closing journal %s failed: %s", self.path, exc)

    def _record_error(self, exc: OSError) -> None:
        self._write_errors += 1
        code = errno.errorcode.get(exc.errno, None) if exc.errno is not None else None
        message = f"{exc.strerror or exc}" + (f": {exc.filename}" if exc.filename else "")
        changed = self._last_error is None or self._last_error["message"] != message
        self._last_error = {
            "time": rfc3339(self._clock.wall()),
            "errno": code,
            "message": message,
        }
        if not self._failing or changed:
            # One stderr line per distinct error, not one per check, while the disk stays full.
            logger.error(
                "cannot write journal %s: %s (%d line(s) kept in memory until it works again)",
                self.path,
                message,
                len(self._pending),
            )
        self._failing = True


def _ends_with_newline(path: str) -> bool:
    with open(path, "rb") as existing:
        existing.seek(-1, os.SEEK_END)
        return existing.read(1) == b"\n"


def _fsync_directory(directory: str) -> None:
    """Make a created or renamed file's directory entry durable too."""
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
