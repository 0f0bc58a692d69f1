#!/usr/bin/env bash
# The core install alone (no torch, transformers or ctranslate2) runs the reviewers', terminologists'
# and publishers' commands on the sample: status, check, export, import, glossary, memory, publish, pack.
#
#   scripts/core-smoke.sh [VENV]   # VENV defaults to .venv-core; made with `pip install .` when absent
#
# It works on a copy of the sample project in a scratch folder (the repository is not touched), and
# checks that a command needing an engine says which extra to install (exit 1) instead of a traceback.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
venv=$(realpath -m "${1:-.venv-core}")
python=${PYTHON:-python3}
if [ ! -x "$venv/bin/leshan-pub" ]; then
    "$python" -m venv "$venv"
    "$venv/bin/pip" install -q --no-compile "$repo"
fi
for heavy in torch transformers ctranslate2; do
    if "$venv/bin/python" -c "import $heavy" 2>/dev/null; then
        echo "core-smoke: $heavy is installed in $venv; the core install must not pull it" >&2
        exit 1
    fi
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r leshan-pub.toml glossary source "$work/"
mkdir -p "$work/output"
lp=("$venv/bin/leshan-pub")
article=$work/source/leshan-2024.zh.txt
export HF_HUB_OFFLINE=1

run() {  # run LABEL COMMAND...: print the label, run the command quietly, stop on failure with its output
    local label=$1
    shift
    if ! output=$("$@" 2>&1); then
        echo "core-smoke: FAILED: $label: $*" >&2
        echo "$output" >&2
        exit 1
    fi
    echo "ok  $label"
}

cd "$work"
run status "${lp[@]}" status "$article"
run check "${lp[@]}" check "$article"
run export "${lp[@]}" export "$article" --to xliff -o review.xlf
run import "${lp[@]}" import review.xlf "$article"
run "glossary list" "${lp[@]}" glossary list
run "glossary validate" "${lp[@]}" glossary validate
run "memory stats" "${lp[@]}" memory stats
run publish "${lp[@]}" publish "$article" --final
run pack "${lp[@]}" pack "$article" --title "Leshan 2024" --date 2026-12-31 --out output/pack.pdf --final
run "build (every segment approved: no model)" "${lp[@]}" build "$article" --final
for file in output/leshan-2024.pdf output/leshan-2024.docx output/pack.pdf output/pack.docx; do
    [ -s "$file" ] || { echo "core-smoke: $file was not written" >&2; exit 1; }
done

# A command that needs the engine names the extra, in one line, exit 1.
printf '乐山新闻\n\n乐山市今天发布了新的产业发展规划，全市经济保持稳定增长。\n' > source/new.zh.txt
set +e
said=$("${lp[@]}" build source/new.zh.txt 2>&1 >/dev/null)
status=$?
set -e
if [ "$status" -ne 1 ] || ! grep -q "pip install 'leshan-pub\[transformers\]'" <<<"$said"; then
    echo "core-smoke: FAILED: build without the engine should name the extra (exit 1), got exit $status:" >&2
    echo "$said" >&2
    exit 1
fi
echo "ok  build of a new article names the extra: $(grep 'leshan-pub\[' <<<"$said")"
