#!/usr/bin/env bash
# Build relpos with CUDA here and pack it for a bare GPU machine.
#
#   tools/build-device-bundle.sh
#
# The GPU machine has a different image (newer glibc, no Debian -dev
# packages, no network), so the binaries must carry everything but glibc and
# the NVIDIA driver. This configures build-device/ (RELPOS_CUDA=ON,
# RELPOS_STATIC_DEPS=ON: static HDF5, OpenBLAS, libstdc++, cudart), builds
# `relpos` and `relpos_tests`, copies every remaining non-glibc shared library
# they load into lib/ beside them (RPATH $ORIGIN/lib), strips everything and
# packs one archive:
#
#   build-device/relpos-device-bundle.tar.xz   relpos-device/{relpos, relpos_tests, lib/, BUILD-INFO.txt}
#
# tools/device-check.sh uses that archive when it is present (carry it to the
# GPU machine). Environment: RELPOS_DEVICE_BUILD_DIR (default build-device/),
# RELPOS_JOBS (default: all cores), RELPOS_BUNDLE_MAX_MIB (default 40).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${RELPOS_DEVICE_BUILD_DIR:-$root/build-device}
jobs=${RELPOS_JOBS:-$(nproc)}
max_mib=${RELPOS_BUNDLE_MAX_MIB:-40}
archive=$build/relpos-device-bundle.tar.xz
stage=$build/stage/relpos-device

say() { echo "build-device-bundle: $*" >&2; }

# ---- 1. configure and build ------------------------------------------------------
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DRELPOS_CUDA=ON -DRELPOS_STATIC_DEPS=ON \
  -DRELPOS_CUDA_PTXAS_VERBOSE=ON '-DCMAKE_BUILD_RPATH=$ORIGIN/lib' \
  -DCMAKE_EXE_LINKER_FLAGS=-Wl,--disable-new-dtags >&2
# (DT_RPATH, not DT_RUNPATH: the bundled libraries' own dependencies, e.g.
# libsz's libaec, are then also found in lib/.)
cmake --build "$build" -j "$jobs" --target relpos_cli relpos_tests 2>&1 | tee "$build/build.log" >&2
# ptxas reports a kernel only when its .cu file is compiled: merge this build's
# reports into those of earlier builds, one line per kernel and architecture.
/usr/bin/python3 - "$build/build.log" "$build/ptxas-usage.txt" <<'PY'
import re, subprocess, sys
log, usage = sys.argv[1], sys.argv[2]
kernels = {}
try:
    for line in open(usage):
        key, _, text = line.rstrip("\n").partition(" | ")
        if text:
            kernels[key] = text
except FileNotFoundError:
    pass
current = None
for line in open(log, errors="replace"):
    m = re.search(r"Compiling entry function '(\S+)' for '(sm_\d+)'", line)
    if m:
        current = (m.group(1), m.group(2))
        spill = ""
        continue
    if current and "bytes stack frame" in line:
        spill = line.strip()
    elif current and "Used" in line and "registers" in line:
        name = subprocess.run(["c++filt", current[0]], capture_output=True, text=True).stdout.strip()
        name = re.sub(r"relpos::cuda::detail::|\(relpos::cuda::detail::KernelParams\)|void ", "", name)
        usage_text = line.split(":", 1)[1].strip()
        kernels[f"{current[1]} {name}"] = f"{usage_text}; {spill or 'no stack frame'}"
        current = None
with open(usage, "w") as out:
    for key in sorted(kernels):
        out.write(f"{key} | {kernels[key]}\n")
PY
if grep -E "[1-9][0-9]* bytes spill (stores|loads)" "$build/ptxas-usage.txt" >&2; then
  say "ptxas reports register spills (see $build/ptxas-usage.txt)"
  exit 1
fi

# ---- 2. stage: binaries, their non-glibc libraries, provenance -------------------
rm -rf "$build/stage"
mkdir -p "$stage/lib"
cp "$build/relpos" "$build/tests/relpos_tests" "$stage/"
strip --strip-all "$stage/relpos" "$stage/relpos_tests"

# Provided by the GPU machine itself: glibc and the dynamic loader (the driver is dlopen'ed).
is_system_library() {
  case "$1" in
    linux-vdso.so.* | ld-linux-x86-64.so.* | libc.so.* | libm.so.* | libmvec.so.* | libpthread.so.* | \
      libdl.so.* | librt.so.* | libresolv.so.* | libutil.so.* | libanl.so.* | libcuda.so.*) return 0 ;;
  esac
  return 1
}
for binary in "$stage/relpos" "$stage/relpos_tests"; do
  ldd "$binary" | awk '$2 == "=>" && $3 ~ /^\// { print $3 }' | while read -r library; do
    name=$(basename "$library")
    is_system_library "$name" && continue
    [ -e "$stage/lib/$name" ] || cp -L "$library" "$stage/lib/$name"
  done
done
if compgen -G "$stage/lib/*" > /dev/null; then
  chmod u+w "$stage"/lib/*
  strip --strip-unneeded "$stage"/lib/*
fi

# Every library must now resolve into lib/ or to glibc.
for binary in "$stage/relpos" "$stage/relpos_tests"; do
  if ldd "$binary" | grep -q "not found"; then
    ldd "$binary" >&2
    say "$(basename "$binary") has unresolved libraries"
    exit 1
  fi
  ldd "$binary" | awk '$2 == "=>" && $3 ~ /^\// { print $1, $3 }' | while read -r name path; do
    is_system_library "$name" && continue
    case "$path" in
      "$stage"/lib/*) ;;
      *) say "$(basename "$binary") loads $path from outside the bundle"; exit 1 ;;
    esac
  done
done

glibc_needed=$(objdump -T "$stage/relpos" "$stage/relpos_tests" "$stage"/lib/* 2>/dev/null |
  grep -o 'GLIBC_[0-9.]*' | sort -uV | tail -1)
archs=$("$root/tools/list-cuda-archs.py" "$stage/relpos" --require sm_80,sm_90,compute_90 | paste -sd, -)
{
  echo "relpos device bundle"
  echo "commit: $(git -C "$root" rev-parse HEAD 2>/dev/null || echo unknown)$(git -C "$root" diff --quiet HEAD 2>/dev/null || echo ' (with uncommitted changes)')"
  echo "built: $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(. /etc/os-release && echo "$PRETTY_NAME")"
  echo "compilers: $(/usr/local/cuda/bin/nvcc --version 2>/dev/null | tail -2 | head -1 || nvcc --version | tail -2 | head -1); $(c++ --version | head -1)"
  echo "cuda images in relpos: $archs"
  echo "newest glibc symbol needed: $glibc_needed"
  echo "bundled libraries: $(cd "$stage/lib" && ls | paste -sd' ' -)"
  echo
  echo "ptxas usage of each kernel:"
  cat "$build/ptxas-usage.txt"
} > "$stage/BUILD-INFO.txt"

# ---- 3. pack ---------------------------------------------------------------------
rm -f "$archive"
tar -C "$build/stage" -cf - relpos-device | xz -9e -T"$jobs" > "$archive"
bytes=$(stat -c %s "$archive")
mib=$(( (bytes + 1048575) / 1048576 ))
say "$archive: $bytes bytes (~${mib} MiB); unpacked: $(du -sh "$stage" | cut -f1)"
say "cuda images: $archs; newest glibc symbol: $glibc_needed"
if [ "$mib" -gt "$max_mib" ]; then
  say "the archive is larger than ${max_mib} MiB"
  exit 1
fi
echo "$archive"
