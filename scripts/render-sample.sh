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

# The DOCX too, as Word would lay it out, when LibreOffice is installed (apt-get install -y libreoffice-writer-nogui).
docx=${pdf%.pdf}.docx
if [ -f "$docx" ] && command -v libreoffice >/dev/null 2>&1; then
  mkdir -p "$out/docx"
  libreoffice --headless --convert-to pdf --outdir "$out/docx" "$docx" >/dev/null 2>&1
  pdftoppm -r "$dpi" -png "$out/docx/$(basename "${docx%.docx}").pdf" "$out/docx/page"
  ls "$out"/docx/page-*.png
fi
