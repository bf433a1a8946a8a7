"""A file system mounted for one test (root only; the test is skipped where
mounting is refused): a small tmpfs to fill, a loop-mounted ext4 to turn
read-only."""

from __future__ import annotations

import contextlib
import subprocess
from pathlib import Path
from typing import Iterator, Sequence

import pytest


@contextlib.contextmanager
def mounted(where: Path, args: Sequence[str], what: str) -> Iterator[Path]:
    """``mount *args where`` (``where`` made first), unmounted after; a
    skip naming ``what`` when it cannot be mounted here."""
    where.mkdir()
    made = subprocess.run(["mount", *args, str(where)], capture_output=True, text=True)
    if made.returncode != 0:
        pytest.skip(f"cannot mount {what} here: {made.stderr.strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", str(where)], check=False)


def tmpfs(where: Path, size: str) -> contextlib.AbstractContextManager[Path]:
    """A tmpfs of ``size`` (e.g. "8m") at ``where``."""
    return mounted(where, ["-t", "tmpfs", "-o", f"size={size}", "tmpfs"], "a tmpfs")
