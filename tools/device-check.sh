#!/usr/bin/env bash
# Everything relpos checks on a machine with an NVIDIA GPU, in one run.
#
#   tools/device-check.sh OUTDIR
#
# Run from anywhere (it works in the repository root). Uses the bundle from
# tools/build-device-bundle.sh when build-device/relpos-device-bundle.tar.xz
# (or $RELPOS_DEVICE_BUNDLE) exists, else configures and builds relpos with
# CUDA from source (needs the Debian dependencies, see tools/run). Then:
#   nvidia-smi; relpos backends; the CUDA images in the binary; the CUDA
#   GoogleTests; relpos verify on fixtures/*.h5 with --backend cuda;
#   relpos bench --backend cuda at N = 1024, 2048, 4096 (if it has `bench`);
#   relpos prove --backend cuda --cases 2000 (if this relpos has `prove`).
# Every step has its own time limit and the checks together a budget (default
# 450 s, RELPOS_DEVICE_CHECK_BUDGET; a build from source has its own limit,
# RELPOS_BUILD_TIMEOUT); nothing waits forever.
# Writes into OUTDIR (at most 5 files): device-check.log (everything),
# device-check.json (steps, statuses, counts, GPU, timings), gtest-cuda.xml,
# bench-cuda.json (when bench ran). Exit status 0 only when no step failed.
set -uo pipefail

if [ $# -ne 1 ]; then
  sed -n '2,19p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
  exit 2
fi
mkdir -p "$1" || exit 2
out=$(cd "$1" && pwd)
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root" || exit 2
log=$out/device-check.log
json=$out/device-check.json
: > "$log"
began=$(date +%s)
started=$began
budget=${RELPOS_DEVICE_CHECK_BUDGET:-450}
bundle=${RELPOS_DEVICE_BUNDLE:-$root/build-device/relpos-device-bundle.tar.xz}

say() { echo "device-check: $*" | tee -a "$log" >&2; }
json_string() {
  local s=$1
  s=${s//\\/\\\\}
  s=${s//\"/\\\"}
  s=${s//$'\n'/\\n}
  s=${s//$'\t'/\\t}
  s=${s//$'\r'/}
  printf '"%s"' "$(printf '%s' "$s" | tr -d '\000-\010\013\014\016-\037')"
}

steps_json=()
failures=0
# step NAME LIMIT_S COMMAND...: runs COMMAND with a time limit (never past the
# budget), its output into the log; records status (passed/failed/timeout/skipped).
last_output=""
step() {
  local name=$1 limit=$2
  shift 2
  local left=$((budget - ($(date +%s) - started)))
  if [ "$left" -lt 5 ]; then
    say "$name: skipped, the ${budget} s budget is spent"
    steps_json+=("{\"step\": $(json_string "$name"), \"status\": \"skipped\", \"detail\": \"budget spent\"}")
    failures=$((failures + 1))
    return 1
  fi
  [ "$limit" -gt "$left" ] && limit=$left
  say "== $name (limit ${limit} s): $*"
  local t0 t1 rc status capture
  capture=$(mktemp)
  t0=$(date +%s.%N)
  timeout -k 10 "$limit" "$@" > "$capture" 2>&1 < /dev/null
  rc=$?
  t1=$(date +%s.%N)
  cat "$capture" >> "$log"
  last_output=$(cat "$capture")
  rm -f "$capture"
  case $rc in
    0) status=passed ;;
    124 | 137) status=timeout ;;
    *) status=failed ;;
  esac
  local seconds
  seconds=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
  say "$name: $status (exit $rc, ${seconds} s)"
  steps_json+=("{\"step\": $(json_string "$name"), \"status\": \"$status\", \"exit\": $rc, \"seconds\": $seconds}")
  [ "$status" = passed ] || failures=$((failures + 1))
  [ "$status" = passed ]
}
note() {  # NAME DETAIL: a step that did not apply here (not a failure)
  say "$1: $2"
  steps_json+=("{\"step\": $(json_string "$1"), \"status\": \"not available\", \"detail\": $(json_string "$2")}")
}

# ---- binaries: the bundle, or a build from source ----------------------------------
workdir=""
cleanup() { [ -n "$workdir" ] && rm -rf "$workdir"; }
trap cleanup EXIT
if [ -f "$bundle" ]; then
  workdir=$(mktemp -d /tmp/relpos-device.XXXXXX)
  # tar needs xz for -J; Python's tarfile is the fallback on an image without it.
  step "unpack bundle" 60 tar -C "$workdir" -xJf "$bundle" ||
    step "unpack bundle with python3 tarfile" 60 python3 -c \
      'import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2])' "$bundle" "$workdir" ||
    say "cannot unpack $bundle"
  bin=$workdir/relpos-device
  relpos=$bin/relpos
  tests=$bin/relpos_tests
  [ -f "$bin/BUILD-INFO.txt" ] && cat "$bin/BUILD-INFO.txt" >> "$log"
  source_kind="bundle $(basename "$bundle")"
else
  build=${RELPOS_DEVICE_SOURCE_BUILD_DIR:-$root/build-device-src}
  step "configure (no bundle: building from source)" "${RELPOS_BUILD_TIMEOUT:-300}" \
    cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DRELPOS_CUDA=ON
  step "build" "${RELPOS_BUILD_TIMEOUT:-1800}" cmake --build "$build" -j "$(nproc)" --target relpos_cli relpos_tests
  relpos=$build/relpos
  tests=$build/tests/relpos_tests
  source_kind="built from source in $build"
fi
if [ ! -x "$relpos" ] || [ ! -x "$tests" ]; then
  say "no relpos binaries ($relpos, $tests)"
  failures=$((failures + 1))
fi
# The budget covers the checks; a build from source had its own limit.
started=$(date +%s)

# ---- the device ------------------------------------------------------------------
gpu="unknown"
if command -v nvidia-smi > /dev/null; then
  step "nvidia-smi" 30 nvidia-smi
  gpu=$(timeout 20 nvidia-smi --query-gpu=name,compute_cap,driver_version,memory.total --format=csv,noheader 2>/dev/null |
    head -1)
  [ -n "$gpu" ] || gpu="unknown"
else
  note "nvidia-smi" "not on PATH"
fi

if [ -x "$relpos" ]; then
  step "relpos backends" 60 "$relpos" backends
  cuda_row=$(printf '%s\n' "$last_output" | grep '^cuda ' || true)
  if ! printf '%s' "$cuda_row" | grep -q ' yes '; then
    say "the cuda backend is not usable here: $cuda_row"
    failures=$((failures + 1))
    steps_json+=("{\"step\": \"cuda backend usable\", \"status\": \"failed\", \"detail\": $(json_string "$cuda_row")}")
  fi

  cuobjdump=$(command -v cuobjdump || { [ -x /usr/local/cuda/bin/cuobjdump ] && echo /usr/local/cuda/bin/cuobjdump; } || true)
  if [ -n "$cuobjdump" ]; then
    step "cuobjdump --list-elf relpos" 60 "$cuobjdump" --list-elf "$relpos"
  elif command -v python3 > /dev/null; then
    step "CUDA images in relpos (tools/list-cuda-archs.py; no cuobjdump)" 60 \
      python3 "$root/tools/list-cuda-archs.py" "$relpos" --require sm_80,sm_90,compute_90
  else
    note "CUDA images in relpos" "neither cuobjdump nor python3 on PATH"
  fi
fi

# ---- tests -----------------------------------------------------------------------
if [ -x "$tests" ]; then
  rm -f "$out/gtest-cuda.xml"
  export RELPOS_CLI=$relpos  # the CLI test runs this relpos
  step "CUDA GoogleTests" 240 "$tests" --gtest_filter='*Cuda*' --gtest_output="xml:$out/gtest-cuda.xml"
  gtest_passed=$(printf '%s\n' "$last_output" | sed -n 's/^\[  PASSED  \] \([0-9]*\) tests\{0,1\}.*/\1/p' | tail -1)
  gtest_failed=$(printf '%s\n' "$last_output" | sed -n 's/^\[  FAILED  \] \([0-9]*\) tests\{0,1\}, listed below.*/\1/p' | tail -1)
  gtest_skipped=$(printf '%s\n' "$last_output" | sed -n 's/^\[  SKIPPED \] \([0-9]*\) tests\{0,1\}, listed below.*/\1/p' | tail -1)
  gtest_json="{\"passed\": ${gtest_passed:-0}, \"failed\": ${gtest_failed:-0}, \"skipped\": ${gtest_skipped:-0}}"
  # Tests that need the device must not have skipped on a machine that has one.
  skipped_device_tests=$(printf '%s\n' "$last_output" |
    grep '^\[  SKIPPED \] .*\(CudaEveryLayout\|CudaDeviceMemory\|CudaDeviceApi\|CudaBf16\|CudaDeviceArena.Allocates\)' |
    sed 's/ (.*//' | sort -u | wc -l)
  if [ "${skipped_device_tests:-0}" -gt 0 ]; then
    say "$skipped_device_tests device tests skipped on a machine that should have a device"
    failures=$((failures + 1))
    steps_json+=("{\"step\": \"device tests ran\", \"status\": \"failed\", \"detail\": \"$skipped_device_tests skipped\"}")
  fi
else
  gtest_json="null"
fi

# ---- fixtures ----------------------------------------------------------------------
shopt -s nullglob
fixtures=("$root"/fixtures/*.h5 "$root"/fixtures/*/*.h5)
shopt -u nullglob
if [ ${#fixtures[@]} -eq 0 ]; then
  note "relpos verify --backend cuda" "no fixtures/*.h5 in this tree"
elif [ -x "$relpos" ]; then
  step "relpos verify --backend cuda (${#fixtures[@]} fixtures)" 120 "$relpos" verify "${fixtures[@]}" --backend cuda
fi

# ---- benchmark -----------------------------------------------------------------------
# A subcommand exists when `relpos --help` lists it (`relpos NAME --help` exits 0 either way).
has_subcommand() { [ -x "$relpos" ] && timeout 20 "$relpos" --help 2>/dev/null | grep -qE "^[[:space:]]+$1([[:space:]]|$)"; }
if has_subcommand bench; then
  rm -f "$out/bench-cuda.json"
  step "relpos bench --backend cuda" 200 "$relpos" bench --backend cuda --n 1024,2048,4096 \
    --modes fp32,bf16,accumulate --json "$out/bench-cuda.json" ||
    { echo "relpos bench --help, for the record:"; timeout 20 "$relpos" bench --help; } >> "$log" 2>&1
else
  note "relpos bench" "this relpos has no bench subcommand"
fi

# ---- property budget -----------------------------------------------------------------
if has_subcommand prove; then
  step "relpos prove --backend cuda --cases 2000" 120 "$relpos" prove --backend cuda --cases 2000 ||
    { echo "relpos prove --help, for the record:"; timeout 20 "$relpos" prove --help; } >> "$log" 2>&1
else
  note "relpos prove" "this relpos has no prove subcommand"
fi

# ---- report --------------------------------------------------------------------------
elapsed=$(($(date +%s) - began))
{
  echo "{"
  echo "  \"schema\": \"relpos-device-check/1\","
  echo "  \"date\": \"$(date -u +%Y-%m-%dT%H:%M:%SZ)\","
  echo "  \"host\": $(json_string "$(hostname 2>/dev/null || echo unknown)"),"
  echo "  \"gpu\": $(json_string "$gpu"),"
  echo "  \"binaries\": $(json_string "$source_kind"),"
  echo "  \"commit\": $(json_string "$(git -C "$root" rev-parse HEAD 2>/dev/null || echo unknown)"),"
  echo "  \"gtest\": $gtest_json,"
  echo "  \"failures\": $failures,"
  echo "  \"seconds\": $elapsed,"
  echo "  \"steps\": ["
  for k in "${!steps_json[@]}"; do
    sep=","
    [ "$k" -eq $((${#steps_json[@]} - 1)) ] && sep=""
    echo "    ${steps_json[$k]}$sep"
  done
  echo "  ]"
  echo "}"
} > "$json"
say "done in ${elapsed} s: $failures failed; $json"
[ "$failures" -eq 0 ]
