#!/usr/bin/env bash
# Shared libraries that PyQt6/QtWebEngine need to start headless (offscreen).
# List from ../shared/anki-notes.md (checked on a bare Debian 12).
set -euo pipefail
pkgs="libasound2 libbrotli1 libdbus-1-3 libegl1 libfontconfig1 libfreetype6 libgbm1 libgl1
libglib2.0-0 libnspr4 libnss3 libx11-6 libxcb1 libxcb-dri3-0 libxcomposite1 libxdamage1
libxext6 libxfixes3 libxkbcommon0 libxkbfile1 libxrandr2 libxtst6
fonts-wqy-microhei"
# (fonts-wqy-microhei: Japanese and Chinese glyphs, 5 MB. Without them Qt draws
# boxes, whose widths are not a Japanese reader's: the layout tests at 400 px
# passed where a real font broke "…MB|（100%）" onto two lines.)
if command -v apt-cache >/dev/null && apt-cache policy libasound2t64 2>/dev/null | grep -q 'Candidate: [0-9]'; then
  pkgs=${pkgs/libasound2 /libasound2t64 }   # Ubuntu 24.04 renamed it
fi
missing=""
for p in $pkgs; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "Installing Qt runtime libraries:$missing"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
else
  echo "Qt needs these libraries; run:" >&2
  echo "  sudo apt-get install -y$missing" >&2
  exit 1
fi
