#!/usr/bin/env bash
# Compatibility check: the core test suite and the real-Anki GUI suite
# (tests/gui) on an older supported Anki, with the Python and Qt that Anki
# release really runs on, in a venv of its own.
#
#   tools/compat.sh                         Anki 23.10.1 / Python 3.9 in .venv39 (the oldest)
#   ANKI_VERSION=25.2.7 tools/compat.sh     another release, in .venv-anki-25.2.7
#   ANKI_VERSION=24.6.3 tools/compat.sh tests/gui/test_in_anki.py   only these tests
#   PYTHON39=/path/python3.9 tools/compat.sh   (PYTHON313 likewise)
#
# Releases and their Python/Qt (docs/testing.md, "Every supported Anki"):
# 23.10-25.02 bundle Python 3.9; 25.07 on are installed by Anki's launcher
# into Python 3.13 with aqt[qt]. anki 26.x ships only cp310-abi3 wheels and
# pip on 3.9 would silently pick some older anki, hence the exact pins.
set -euo pipefail
cd "$(dirname "$0")/.."

ANKI_VERSION="${ANKI_VERSION:-23.10.1}"
# Test tooling that still runs on Python 3.9, and the newer one for 3.13.
TOOLS39=("pytest==8.4.2" "pytest-qt==4.5.0" "hypothesis==6.141.1" "watchdog==6.0.0")
TOOLS313=("pytest==9.2.0" "pytest-qt==4.5.0" "hypothesis==6.170.17" "watchdog==6.0.0")
# The Qt of each era (ankitects/anki python/requirements.qt6_lin.in at the
# release's tag, later qt/pyproject.toml's extras): aqt itself only asks for
# pyqt6>=6.2, which would resolve to today's PyQt6. abi3 wheels for 3.9.
QT60=("pyqt6==6.6.0" "pyqt6-qt6==6.6.0" "pyqt6-webengine==6.6.0" "pyqt6-webengine-qt6==6.6.0" "pyqt6-sip==13.6.0")
QT66=("pyqt6==6.6.1" "pyqt6-qt6==6.6.2" "pyqt6-webengine==6.6.0" "pyqt6-webengine-qt6==6.6.2" "pyqt6-sip==13.6.0")
case "$ANKI_VERSION" in
    23.10.1)
        PY=3.9; VENV=.venv39; PINS=("${QT60[@]}" "${TOOLS39[@]}") ;;
    24.4.1|24.6.3|24.11|25.2.7)
        PY=3.9; VENV=".venv-anki-$ANKI_VERSION"; PINS=("${QT66[@]}" "${TOOLS39[@]}") ;;
    25.7.5|25.9.5)
        # The launcher's own install: Python 3.13 and aqt[qt] (Qt 6.9.1, WebEngine 6.8.2).
        PY=3.13; VENV=".venv-anki-$ANKI_VERSION"; PINS=("${TOOLS313[@]}") ;;
    *)
        echo "compat: no pins for ANKI_VERSION=$ANKI_VERSION (known: 23.10.1 24.4.1 24.6.3 24.11 25.2.7 25.7.5 25.9.5)" >&2
        exit 2 ;;
esac
if [ "$PY" = 3.13 ]; then AQT="aqt[qt]==${ANKI_VERSION}"; else AQT="aqt==${ANKI_VERSION}"; fi
PINS=("anki==${ANKI_VERSION}" "$AQT" "${PINS[@]}")
STAMP="$VENV/.installed-$(echo "${PINS[*]}" | cksum | cut -d" " -f1)"

find_python() {  # find_python 3.9 -> the path of a Python 3.9
    local want="$1" var="PYTHON${1//./}" root="${PYENV_ROOT:-$HOME/.pyenv}" candidate
    if [ -n "${!var:-}" ]; then echo "${!var}"; return; fi
    # pyenv's real interpreter first: a shim on PATH may refuse to run.
    for candidate in $(ls -d "$root"/versions/"$want".*/bin/python"$want" 2>/dev/null | sort -rV) "$(command -v "python$want" || true)"; do
        if [ -n "$candidate" ] && "$candidate" -c "import sys; sys.exit(sys.version_info[:2] != tuple(map(int, '$want'.split('.'))))" 2>/dev/null; then
            echo "$candidate"; return
        fi
    done
}

PYTHON="$(find_python "$PY")"
if [ -z "$PYTHON" ]; then
    echo "compat: no Python $PY found for Anki $ANKI_VERSION; install it (pyenv install $PY) or set PYTHON${PY//./}=/path/to/python$PY" >&2
    exit 1
fi

if [ ! -f "$STAMP" ]; then
    rm -rf "$VENV"
    "$PYTHON" -m venv "$VENV"
    "$VENV/bin/python" -m pip install --quiet --upgrade pip
    "$VENV/bin/python" -m pip install --quiet "${PINS[@]}"
    touch "$STAMP"
fi

"$VENV/bin/python" -c "import sys, anki.buildinfo as b; from aqt.qt import qVersion; print(f'compat: anki {b.version} on Python {sys.version.split()[0]}, Qt {qVersion()}')"
# The core suite, the language-profile and 3.9-syntax checks, two computers
# kept in step by this Anki's own sync server, and the add-on inside this
# real Anki (tests/gui builds dist/ with this interpreter); or the tests given.
export QT_QPA_PLATFORM="${QT_QPA_PLATFORM:-offscreen}"
if [ $# -gt 0 ] && [ "${1#-}" = "$1" ]; then
    exec "$VENV/bin/python" -m pytest -q -p no:cacheprovider "$@"
fi
exec "$VENV/bin/python" -m pytest -q -p no:cacheprovider \
    tests/sync tests/polar tests/render tests/reliability/test_compat.py tests/reliability/test_two_computers.py \
    tests/gui "$@"
