"""Build Polar's own model code from the mirrored polar-app sources, so that
tests and tools can *run* it to write the data Polar writes.

Nothing of Polar is kept in this repository: the sources are read at run time
from a bare mirror of polar-app/polar-app (`POLAR_APP_MIRROR`, default
/work/.mirror/polar-app+polar-app/repo), transpiled with `tsc` (Debian's
node-typescript) into a cache folder and run with node.

    python -m tools.polar_real.build [2x|1x]       # builds, prints the folder
    python -m tools.polar_real.build --run [2x|1x] # builds, prints the library as JSON
    python -m tools.polar_real.build --fixture     # rewrites tests/data/polar_real_library_{2x,1x}.json

Taken from Polar as it is (polar-app @ the mirror's HEAD): everything under
packages/polar-shared/src that the entry points import (DocMetas, DocMetaSerializer,
SparseDocMetas, PageMetas, TextHighlightRecords, TextHighlights, Hashcodes, ...),
packages/polar-bookshelf/web/js/metadata (Flashcards, Comments, AreaHighlights,
Images, ...), web/js/util/HTMLString.ts and the sidebar's FlashcardActions.ts.

Stubbed (no data in them): Analytics (events), the datastore modules AreaHighlights
imports for writing the screenshot file (DatastoreFileCache, Datastore,
PersistenceLayer, Screenshot: types and a no-op cache), and five npm packages
that cannot be installed here, written anew from their documented behaviour
(tools/polar_real/shims: js-sha3's keccak256, base58check, base-x, deep-equal,
twitter-text's isValidHashtag). The shims are checked against Polar's own test
vector (`createID` of a MARKDOWN card == "1TPGcJEaas").
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path
from typing import Optional

HERE = Path(__file__).resolve().parent
MIRROR = Path(os.environ.get("POLAR_APP_MIRROR", "/work/.mirror/polar-app+polar-app/repo"))
BOOKSHELF_MIRROR = Path(os.environ.get("POLAR_BOOKSHELF_MIRROR", "/work/.mirror/burtonator+polar-bookshelf/repo"))
# Polar 1.x's own model code, before it moved to the polar-shared npm package
# (whose sources of that time are in neither mirror): polar-bookshelf of 2019-08-31.
BOOKSHELF_1X = "d8de86b6b9ed4174bf8583522305218bb5d688b6"
CACHE = Path(os.environ.get("POLAR_REAL_CACHE", Path.home() / ".cache" / "polar_sync_polar_real"))

PATHS = [
    "packages/polar-shared/src",
    "packages/polar-bookshelf/web/js/metadata",
    "packages/polar-bookshelf/web/js/util/HTMLString.ts",
    "packages/polar-bookshelf/web/js/annotation_sidebar/child_annotations/flashcards/FlashcardActions.ts",
    "packages/polar-bookshelf/web/js/annotation_sidebar/child_annotations/flashcards/flashcard_input/FlashcardInputs.ts",
]

STUBS = {
    "packages/polar-bookshelf/web/js/analytics/Analytics.ts":
        "export class Analytics { static event2(name: string, data?: any) {} static event(e: any) {} }\n",
    "packages/polar-bookshelf/web/js/datastore/DatastoreFileCache.ts":
        "export class DatastoreFileCache { static writeFile(backend: any, ref: any, file: any) {} }\n",
    "packages/polar-bookshelf/web/js/datastore/Datastore.ts": "export type Datastore = any;\n",
    "packages/polar-bookshelf/web/js/datastore/PersistenceLayer.ts": "export type PersistenceLayer = any;\n",
    "packages/polar-bookshelf/web/js/screenshots/Screenshot.ts":
        "export interface ICapturedScreenshot { data: any; type: any; width: number; height: number }\n",
}

FIXTURE = HERE.parent.parent / "tests" / "data" / "polar_real_library_2x.json"

DRIVER = "packages/polar-bookshelf/web/js/polar_real_driver.ts"

# Polar 1.x (2019): web/js as it was; stubbed: npm packages only imported by
# code the model never runs (react, electron, analytics, node-fetch) as empty modules.
STUBS_1X = {"web/js/package.json": "{}\n"}
EMPTY_1X = ["react", "electron", "electron-updater", "universal-analytics", "node-fetch", "toastr", "jquery"]
DRIVER_1X = "web/js/polar_real_driver.ts"

TSCONFIG = {
    "compilerOptions": {
        "target": "es2019",
        "module": "commonjs",
        "moduleResolution": "node",
        "esModuleInterop": True,
        "experimentalDecorators": True,
        "skipLibCheck": True,
        "noEmitOnError": False,
        "strict": False,
        "types": [],
        "lib": ["es2020", "dom"],
        "baseUrl": ".",
        "paths": {"polar-shared/*": ["packages/polar-shared/*"]},
        "outDir": "out",
        "rootDir": ".",
    },
    "files": [DRIVER],
}


ERAS = ("2x", "1x")


def _era(era: str) -> dict:
    if era == "1x":
        return {"mirror": BOOKSHELF_MIRROR, "rev": BOOKSHELF_1X, "paths": ["web/js"], "stubs": STUBS_1X,
                "driver": DRIVER_1X, "source": HERE / "driver_1x.ts", "paths_map": {}, "shared": None}
    return {"mirror": MIRROR, "rev": "HEAD", "paths": PATHS, "stubs": STUBS, "driver": DRIVER,
            "source": HERE / "driver.ts", "paths_map": {"polar-shared/*": ["packages/polar-shared/*"]},
            "shared": Path("..") / "packages" / "polar-shared"}


def available(era: str = "2x") -> Optional[str]:
    """Why the harness cannot run here, or None when it can."""
    mirror = _era(era)["mirror"]
    if not (mirror / "HEAD").exists():
        return f"no Polar mirror at {mirror}"
    for tool in ("tsc", "node"):
        if shutil.which(tool) is None:
            return f"no {tool} on PATH"
    return None


def mirror_commit(era: str = "2x") -> str:
    e = _era(era)
    return subprocess.run(["git", "--git-dir", str(e["mirror"]), "rev-parse", e["rev"]],
                          check=True, capture_output=True, text=True).stdout.strip()


def build(era: str = "2x") -> Path:
    """The folder holding the transpiled code (built once per commit and driver)."""
    why = available(era)
    if why:
        raise RuntimeError(why)
    e = _era(era)
    commit = mirror_commit(era)
    driver = e["source"].read_bytes()
    shims = b"".join(p.read_bytes() for p in sorted((HERE / "shims").glob("*.js")))
    key = era + "-" + hashlib.sha256(commit.encode() + driver + shims + json.dumps(e["stubs"]).encode()
                                     + (HERE / "build.py").read_bytes()).hexdigest()[:16]
    root = CACHE / key
    done = root / "out" / e["driver"].replace(".ts", ".js")
    if done.exists():
        return root
    tmp = CACHE / f"{key}.part{os.getpid()}"  # two test runs may build at once
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    tar = subprocess.run(["git", "--git-dir", str(e["mirror"]), "archive", "--format=tar", commit, *e["paths"]],
                         check=True, capture_output=True).stdout
    with tarfile.open(fileobj=io.BytesIO(tar)) as t:
        t.extractall(tmp)  # noqa: S202 (our own mirror)
    for rel, text in e["stubs"].items():
        p = tmp / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    (tmp / e["driver"]).write_bytes(driver)
    config = json.loads(json.dumps(TSCONFIG))
    config["compilerOptions"]["paths"] = e["paths_map"]
    config["files"] = [e["driver"]]
    (tmp / "tsconfig.json").write_text(json.dumps(config, indent=1))
    # Type errors are expected (missing @types, stubs): tsc emits regardless.
    subprocess.run(["tsc", "-p", str(tmp / "tsconfig.json")], capture_output=True, text=True)
    out = tmp / "out"
    if not (out / e["driver"].replace(".ts", ".js")).exists():
        raise RuntimeError("tsc emitted no driver")
    mods = out / "node_modules"
    mods.mkdir(exist_ok=True)
    for shim in (HERE / "shims").glob("*.js"):
        shutil.copy(shim, mods / shim.name)
    if era == "1x":
        for name in EMPTY_1X:
            (mods / name).mkdir(parents=True, exist_ok=True)
            (mods / name / "index.js").write_text("module.exports = {};\n")
        for rel, text in e["stubs"].items():
            (out / rel).parent.mkdir(parents=True, exist_ok=True)
            (out / rel).write_text(text)
    if e["shared"] is not None:
        (mods / "polar-shared").symlink_to(e["shared"])
    (tmp / "COMMIT").write_text(commit + "\n")
    try:
        tmp.rename(root)
    except OSError:  # built meanwhile by another run: theirs is the same
        shutil.rmtree(tmp, ignore_errors=True)
        if not done.exists():
            raise
    return root


def run(args: list, era: str = "2x") -> dict:
    """Run the driver: its stdout is one JSON object."""
    root = build(era)
    js = root / "out" / _era(era)["driver"].replace(".ts", ".js")
    proc = subprocess.run(["node", str(js), *args], check=True, capture_output=True, text=True,
                          env={**os.environ, "TZ": "UTC"})
    out = json.loads(proc.stdout)
    out["polar_commit"] = (root / "COMMIT").read_text().strip()
    out["era"] = era
    return out


def upgrade_by_2x(state: str) -> str:
    """A ``state.json`` as Polar 2.x's code saves it again after loading it
    (``DocMetas.deserialize`` then ``serialize``: upgraded, sparse)."""
    import tempfile

    with tempfile.NamedTemporaryFile("w", suffix=".json", encoding="utf-8", delete=False) as fh:
        fh.write(state)
    try:
        return str(run(["--upgrade", fh.name], "2x")["upgraded"])
    finally:
        os.unlink(fh.name)


def fixture_path(era: str = "2x") -> Path:
    return FIXTURE.with_name(f"polar_real_library_{era}.json")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--fixture":
        # The checked-in copies the tests read when node/tsc/the mirrors are absent.
        for name in ERAS:
            made = run([], name)
            if name == "1x":  # and as Polar 2.x loads and saves it again
                made["v1"]["upgraded_by_2x"] = upgrade_by_2x(made["v1"]["state"])
            dest = fixture_path(name)
            dest.write_text(json.dumps(made, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
            print(dest)
    elif len(sys.argv) > 1 and sys.argv[1] == "--run":
        print(json.dumps(run([], sys.argv[2] if len(sys.argv) > 2 else "2x"), ensure_ascii=False, indent=1))
    else:
        print(build(sys.argv[1] if len(sys.argv) > 1 else "2x"))
