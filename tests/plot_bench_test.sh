#!/bin/sh
# ctest: `relpos bench --json` on a tiny size, then tools/plot_bench.py renders it.
#   plot_bench_test.sh RELPOS PLOT_SCRIPT WORK_DIR
# Exit 77 (ctest: skipped) when Debian's python3-matplotlib is missing.
set -eu
relpos=$1
plot=$2
work=$3
if ! /usr/bin/python3 -c "import matplotlib" 2>/dev/null; then
  echo "SKIP: /usr/bin/python3 has no matplotlib (apt-get install python3-matplotlib)"
  exit 77
fi
rm -rf "$work"
mkdir -p "$work"
"$relpos" bench --backend onehot,cpu --n 16,32 --reps 1 --threads 1 --json "$work/small.json" >/dev/null 2>&1
"$plot" "$work/small.json" -o "$work/small.png"
# A PNG starts with \211PNG\r\n\032\n.
magic=$(head -c 8 "$work/small.png" | od -An -tx1 | tr -d ' \n')
[ "$magic" = "89504e470d0a1a0a" ] || { echo "not a PNG: $magic"; exit 1; }
[ "$(wc -c <"$work/small.png")" -gt 20000 ] || { echo "PNG suspiciously small"; exit 1; }
# Refuses to overwrite without --force, and rejects a file that is not a report (exit 2, one line).
if "$plot" "$work/small.json" -o "$work/small.png" 2>"$work/err.txt"; then echo "overwrote without --force"; exit 1; fi
grep -q "already exists" "$work/err.txt"
echo '{"schema": "something-else"}' >"$work/bad.json"
set +e
"$plot" "$work/bad.json" -o "$work/bad.png" 2>"$work/err.txt"
code=$?
set -e
[ "$code" -eq 2 ] || { echo "bad report gave exit $code"; exit 1; }
[ "$(wc -l <"$work/err.txt")" -eq 1 ] || { cat "$work/err.txt"; exit 1; }
echo "plot ok: $work/small.png"
