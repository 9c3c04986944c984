#!/usr/bin/env bash
# The installed package, used as another project would: install the build into a
# fresh prefix, then configure, build and run tests/package/consumer against it,
# and import the installed Python module from the prefix.
#   consumer_test.sh BUILD_DIR SOURCE_DIR WORK_DIR PYTHON
set -euo pipefail
build=$1 source=$2 work=$3 python=$4
rm -rf "$work"
mkdir -p "$work"
prefix=$work/prefix
cmake --install "$build" --prefix "$prefix" > "$work/install.log"
test -f "$prefix/lib/cmake/relpos/relposConfig.cmake"
test -x "$prefix/bin/relpos"
"$prefix/bin/relpos" backends > /dev/null

cmake -S "$source/tests/package/consumer" -B "$work/build" -DCMAKE_PREFIX_PATH="$prefix" \
      -DCMAKE_BUILD_TYPE=Release > "$work/configure.log" || { cat "$work/configure.log"; exit 1; }
grep "relpos::relpos link interface" "$work/configure.log"
cmake --build "$work/build" -j "$(nproc)" > "$work/build.log" || { tail -40 "$work/build.log"; exit 1; }
"$work/build/kernel_only"
"$work/build/consumer_tests"

# The Python package, if this build has one, from the prefix's site directory.
site=$(find "$prefix" -path '*-packages/relpos/__init__.py' | head -1)
if [ -n "$site" ]; then
  PYTHONPATH=$(dirname "$(dirname "$site")") "$python" -c \
    "import relpos, sys; assert relpos.__file__.startswith('$prefix'), relpos.__file__; print('installed Python module:', relpos.__file__, relpos.__version__)"
fi
