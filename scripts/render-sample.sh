#!/usr/bin/env bash
# Render the pages of a published PDF to PNG so anyone can look at them.
#   scripts/render-sample.sh PDF [OUT_DIR] [DPI]
#   scripts/render-sample.sh output/leshan-2024.pdf            # -> output/leshan-2024-pages/page-1.png ...
# Needs pdftoppm (Debian/Ubuntu: apt-get install -y poppler-utils; macOS: brew install poppler).
set -euo pipefail

if [ $# -lt 1 ] || [ ! -f "$1" ]; then
  echo "usage: $0 PDF [OUT_DIR] [DPI]  (PDF must exist)" >&2
  exit 2
fi
pdf=$1
out=${2:-"${pdf%.pdf}-pages"}
dpi=${3:-70}

if ! command -v pdftoppm >/dev/null 2>&1; then
  echo "pdftoppm not found: install poppler-utils (apt-get install -y poppler-utils)" >&2
  exit 1
fi

mkdir -p "$out"
pdftoppm -r "$dpi" -png "$pdf" "$out/page"
ls "$out"/page-*.png
