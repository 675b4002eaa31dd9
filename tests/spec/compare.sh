#!/usr/bin/env bash
# The text-encoding check: converts every .wast of SUITE with wast2json into OUTDIR (when
# missing or older), then `spec_runner -w` compares each module our script layer encodes with
# wabt's. The one known difference is wabt's: it writes `select (result)` (a typed select with
# no types) as a plain `select`, so that module is expected to differ (select.wast).
#   compare.sh SPEC_RUNNER SUITE OUTDIR
set -euo pipefail
runner="$1" suite="$2" out="$3"
for wast in "$suite"/*.wast; do
    name="$(basename "$wast" .wast)"
    if [ ! -f "$out/$name/$name.json" ] || [ "$wast" -nt "$out/$name/$name.json" ]; then
        rm -rf "${out:?}/$name"
        mkdir -p "$out/$name"
        wast2json "$wast" -o "$out/$name/$name.json" >/dev/null 2>&1 || rm -rf "${out:?}/$name"
    fi
done
report="$("$runner" -w "$out" "$suite"/*.wast || true)"
diffs="$(grep '^  DIFF' <<<"$report" || true)"
unexpected="$(grep -v '^  DIFF select:323:' <<<"$diffs" | grep . || true)"
total="$(grep -o '[0-9]* modules identical' <<<"$report" | awk '{s += $1} END {print s}')"
unreadable="$(grep 'cannot read' <<<"$report" || true)"
echo "text encoding: $total modules identical to wast2json's; expected difference: select.wast:323"
if [ -n "$unexpected" ] || [ -n "$unreadable" ]; then
    echo "$unexpected$unreadable" >&2
    exit 1
fi
