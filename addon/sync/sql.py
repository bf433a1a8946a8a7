"""The one way this add-on queries many keys at once: chunked ``IN (...)``
lists (the state file and the collection's read-only lookups)."""

from __future__ import annotations

from typing import Iterator, List, Sequence, Tuple, TypeVar

T = TypeVar("T")

# SQLite's default limit on bound parameters was 999 before 3.32.
IN_CHUNK = 500


def in_chunks(values: Sequence[T], size: int = IN_CHUNK) -> Iterator[Tuple[str, List[T]]]:
    """``(marks, chunk)`` pairs for ``... IN ({marks})`` queries over ``values``."""
    for i in range(0, len(values), size):
        chunk = list(values[i: i + size])
        yield ",".join("?" * len(chunk)), chunk
