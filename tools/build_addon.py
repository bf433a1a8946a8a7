#!/usr/bin/env python3
"""Build dist/polar_sync.ankiaddon, the file users install in Anki.

The archive holds the *contents* of addon/ (Anki unpacks it into
addons21/<package>/), without __pycache__, meta.json (Anki's per-install
state), user data or tests, plus:

* manifest.json (repo top) with ``mod`` stamped from the last commit time,
  so the same commit always builds the same bytes;
* watchdog 6.0.0 (the last release that runs on Anki's Python 3.9) under
  ``_vendor/watchdog``, pure-Python modules only, with its absolute
  ``from watchdog...`` imports rewritten to relative ones. It is reachable
  only through the add-on's own package, so another add-on's watchdog
  cannot clash with it (see addon/gui/vendor.py).

Usage: python tools/build_addon.py [--out PATH]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Dict, Iterator, List, Tuple

ROOT = Path(__file__).resolve().parent.parent
ADDON = ROOT / "addon"
MANIFEST = ROOT / "manifest.json"
DEFAULT_OUT = ROOT / "dist" / "polar_sync.ankiaddon"
WHEEL_CACHE = ROOT / "build" / "wheels"

WATCHDOG_VERSION = "6.0.0"
# Command-line tool and shell tricks: unused, and watchmedo needs PyYAML.
WATCHDOG_SKIP = ("watchdog/watchmedo.py", "watchdog/tricks/")

_SKIP_DIRS = {"__pycache__", "tests", "_vendor", ".mypy_cache", ".pytest_cache"}
_SKIP_FILES = {"meta.json", ".DS_Store"}
_SKIP_SUFFIXES = (".pyc", ".pyo", ".so", ".pyd", ".dylib", ".orig", ".rej", "~")


def addon_files() -> Iterator[Tuple[str, Path]]:
    """(archive name, path) of everything from addon/ that belongs in the package."""
    for dirpath, dirnames, filenames in os.walk(ADDON):
        rel_dir = Path(dirpath).relative_to(ADDON)
        dirnames[:] = sorted(d for d in dirnames if d not in _SKIP_DIRS and not d.startswith("."))
        for name in sorted(filenames):
            if name in _SKIP_FILES or name.endswith(_SKIP_SUFFIXES) or name.startswith("."):
                continue
            arc = (rel_dir / name).as_posix()
            # user_files/ is the user's data; ship only its README.
            if arc.startswith("user_files/") and arc != "user_files/README.txt":
                continue
            yield arc, Path(dirpath) / name


_FROM_WATCHDOG = re.compile(r"^(?P<indent>[ \t]*)from watchdog(?P<sub>(?:\.\w+)*) import ", re.M)
_ANY_WATCHDOG_IMPORT = re.compile(r"^[ \t]*(?:from|import) watchdog\b", re.M)


def relativize(source: str, module: str) -> str:
    """Rewrite ``from watchdog.x import y`` inside ``module`` (a path such as
    ``watchdog/observers/inotify.py``) to the equivalent relative import."""
    package_depth = len(Path(module).parent.parts)  # watchdog/observers/* -> 2

    def repl(match: re.Match[str]) -> str:
        sub = match.group("sub")[1:]  # "observers.api" or ""
        return f"{match.group('indent')}from {'.' * package_depth}{sub} import "

    out = _FROM_WATCHDOG.sub(repl, source)
    left = _ANY_WATCHDOG_IMPORT.search(out)
    if left:
        raise SystemExit(f"{module}: cannot vendor, unexpected import {left.group(0).strip()!r}")
    return out


def _watchdog_from_environment() -> Dict[str, bytes]:
    from importlib import metadata

    try:
        dist = metadata.distribution("watchdog")
    except metadata.PackageNotFoundError:
        return {}
    if dist.version != WATCHDOG_VERSION:
        return {}
    files: Dict[str, bytes] = {}
    for entry in dist.files or []:
        name = entry.as_posix()
        if name.startswith("watchdog/") or name.endswith(("/LICENSE", "/COPYING", "/AUTHORS")):
            files[name] = Path(str(entry.locate())).read_bytes()
    return files


def _watchdog_from_wheel() -> Dict[str, bytes]:
    wheel = WHEEL_CACHE / f"watchdog-{WATCHDOG_VERSION}-py3-none-any.whl"
    if not wheel.exists():
        WHEEL_CACHE.mkdir(parents=True, exist_ok=True)
        try:
            got = subprocess.run(
                [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary", ":all:",
                 "--platform", "any", "--python-version", "3.9", "--dest", str(WHEEL_CACHE),
                 f"watchdog=={WATCHDOG_VERSION}"],
                capture_output=True, text=True, check=False,
            )
        except OSError as exc:  # no Python to run pip with
            got = subprocess.CompletedProcess([], 1, "", str(exc))
        if got.returncode != 0 or not wheel.exists():
            # One sentence, not pip's traceback; pip's last line says which way it failed.
            last = (got.stderr or got.stdout or "").strip().splitlines()[-1:] or ["no output"]
            raise SystemExit(
                f"build_addon: could not download watchdog {WATCHDOG_VERSION} (the .ankiaddon bundles it) with pip: "
                f"{last[0].strip()}\nConnect to PyPI, or `pip install watchdog=={WATCHDOG_VERSION}` into this "
                f"Python from a wheel you have, or put {wheel.name} into {WHEEL_CACHE}, and build again.")
    with zipfile.ZipFile(wheel) as zf:
        return {n: zf.read(n) for n in zf.namelist() if not n.endswith("/")}


def vendored_watchdog() -> List[Tuple[str, bytes]]:
    files = _watchdog_from_environment() or _watchdog_from_wheel()
    out: List[Tuple[str, bytes]] = []
    for name, data in sorted(files.items()):
        if name.startswith("watchdog/"):
            if name.startswith(WATCHDOG_SKIP) or not name.endswith(".py"):
                continue  # compiled parts (macOS fsevents) and extras stay out
            text = relativize(data.decode("utf-8"), name)
            compile(text, name, "exec")  # a rewrite that breaks syntax fails the build
            out.append((f"_vendor/{name}", text.encode("utf-8")))
        elif name.rsplit("/", 1)[-1] in ("LICENSE", "COPYING", "AUTHORS"):
            out.append((f"_vendor/watchdog/{name.rsplit('/', 1)[-1]}", data))
    if not any(n == "_vendor/watchdog/observers/inotify.py" for n, _ in out):
        raise SystemExit("watchdog sources not found")
    readme = (
        f"watchdog {WATCHDOG_VERSION} (Apache License 2.0, see watchdog/LICENSE), copied here by\n"
        "tools/build_addon.py with its imports made relative. Do not edit; rebuild instead.\n"
    )
    out.append(("_vendor/README.txt", readme.encode("utf-8")))
    out.append(("_vendor/__init__.py", b'"""Third-party code bundled with Polar Sync (see README.txt)."""\n'))
    return out


def build_mod() -> int:
    """Seconds since the epoch of the last commit (reproducible), else now."""
    env = os.environ.get("SOURCE_DATE_EPOCH")
    if env:
        return int(env)
    try:
        out = subprocess.run(
            ["git", "-C", str(ROOT), "log", "-1", "--format=%ct"], capture_output=True, text=True, check=True
        ).stdout.strip()
        return int(out)
    except (OSError, subprocess.CalledProcessError, ValueError):
        return int(time.time())


def build(out: Path) -> Path:
    manifest = json.loads(MANIFEST.read_text(encoding="utf-8"))
    mod = build_mod()
    manifest["mod"] = mod
    stamp = time.gmtime(max(mod, 315532800))[:6]  # zip dates start in 1980

    entries: List[Tuple[str, bytes]] = [(arc, path.read_bytes()) for arc, path in addon_files()]
    entries += vendored_watchdog()
    entries.append(("manifest.json", (json.dumps(manifest, indent=4) + "\n").encode("utf-8")))
    names = [n for n, _ in entries]
    if len(names) != len(set(names)):
        raise SystemExit("duplicate file names in the package")
    for name in names:
        if name.endswith(_SKIP_SUFFIXES) or "__pycache__" in name:
            raise SystemExit(f"refusing to package {name}")

    out.parent.mkdir(parents=True, exist_ok=True)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in sorted(entries):
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, data)
    # A private temp name: two builds at once (make test in two shells) must
    # never hand Anki a half-written archive.
    fd, tmp = tempfile.mkstemp(prefix=out.name + ".", suffix=".tmp", dir=out.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(buf.getvalue())
        os.chmod(tmp, 0o644)
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()
    out = build(args.out)
    with zipfile.ZipFile(out) as zf:
        count = len(zf.namelist())
    print(f"built {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out} "
          f"({count} files, {out.stat().st_size // 1024} KiB)")


if __name__ == "__main__":
    main()
