"""Parsing of the /rng bounds and the draw itself."""

from __future__ import annotations

import random
import re
from collections.abc import Mapping, Sequence

LIMIT = 1_000_000_000
DEFAULT_MIN = 0
DEFAULT_MAX = 99

# ASCII digits only: int() would also accept "+5", " 5", "5_0" and Arabic-Indic digits.
_INTEGER = re.compile(r"-?[0-9]{1,10}")


class BadBounds(ValueError):
    """The query asked for bounds the API does not accept; the message says why."""


def _bound(args: Mapping[str, Sequence[str]], name: str, default: int) -> int:
    values = args.get(name, [])
    if not values:
        return default
    if len(values) > 1:
        raise BadBounds(f"'{name}' was given {len(values)} times; give it at most once")
    raw = values[0]
    if not _INTEGER.fullmatch(raw):
        shown = raw if len(raw) <= 20 else raw[:20] + "..."
        raise BadBounds(
            f"'{name}' must be an integer from {-LIMIT} to {LIMIT}, got {shown!r}"
        )
    value = int(raw)
    if not -LIMIT <= value <= LIMIT:
        raise BadBounds(f"'{name}' must be from {-LIMIT} to {LIMIT}, got {value}")
    return value


def parse_bounds(args: Mapping[str, Sequence[str]]) -> tuple[int, int]:
    """Read optional min and max from query arguments given as name -> list of values."""
    low = _bound(args, "min", DEFAULT_MIN)
    high = _bound(args, "max", DEFAULT_MAX)
    if low > high:
        raise BadBounds(f"'min' ({low}) must not be greater than 'max' ({high})")
    return low, high


def draw(low: int, high: int, rand: random.Random) -> int:
    """A uniform integer from low to high, both inclusive."""
    return rand.randint(low, high)
