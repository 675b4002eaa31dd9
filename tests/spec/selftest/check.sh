#!/usr/bin/env bash
# Self-test of the spec runner: runs spec_runner on selftest.wast and compares the report with
# selftest.expected (assertions that must pass, fail and be skipped). The runner
# must also exit 1, since some assertions fail on purpose.
#   check.sh SPEC_RUNNER OUTDIR
set -euo pipefail
runner="$1"
out="$2/selftest"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
rm -rf "$out"
mkdir -p "$out"
rc=0
"$runner" -j 1 -m 0 "$here/selftest.wast" >"$out/selftest.out" || rc=$?
diff -u "$here/selftest.expected" "$out/selftest.out"
if [ "$rc" -ne 1 ]; then
    echo "spec_runner exited with $rc, expected 1" >&2
    exit 1
fi
echo "spec runner self-test: report as expected"
