#!/bin/sh
# Installs the current build into a temporary prefix, checks that it holds
# what the package promises and nothing else, then builds programs outside
# the tree against it the ways an embedder would:
#   - tests/install_consumer with find_package(loyalty_ledger) (every public
#     header also compiled alone, as C++17, c.h as C99);
#   - the same main.cc with `pkg-config --cflags --libs loyalty_ledger`;
#   - tests/c_api_test.c, as C, with pkg-config;
#   - examples/python/balance.py on the installed library.
# It builds only those small programs; the library and the tool must already
# be built (ctest runs after the build).
#
#   usage: install_test.sh CMAKE BUILD_DIR SOURCE_DIR CC CXX [SANITIZERS]
set -eu
cmake="$1"
build_dir="$2"
source_dir="$3"
cc="$4"
cxx="$5"
sanitize="${6:-}"

work="$(mktemp -d "${TMPDIR:-/tmp}/loyalty-install-test-XXXXXX")"
trap 'rm -rf "$work"' EXIT
prefix="$work/prefix"

fail() {
  echo "install_test: $*" >&2
  exit 1
}
step() { echo "install_test: $*"; }

# A build with sanitizers installs an instrumented library; programs linking
# it need the same runtime.
extra_flags=""
if [ -n "$sanitize" ]; then extra_flags="-fsanitize=$sanitize"; fi
# clang links the C++ half of UBSan's runtime only into C++ programs; the C
# program below loads a C++ library instrumented with it.
c_extra_flags="$extra_flags"
c_extra_libs=""
if [ -n "$sanitize" ] && "$cc" --version 2>/dev/null | grep -q clang; then
  c_extra_flags="$extra_flags -fsanitize-link-c++-runtime"
  c_extra_libs="-lstdc++"
fi

step "cmake --install $build_dir --prefix $prefix"
"$cmake" --install "$build_dir" --prefix "$prefix" >"$work/install.log" 2>&1 ||
  fail "cmake --install failed: $(cat "$work/install.log")"

# --- The layout: exactly these files. -------------------------------------
pc_file="$(find "$prefix" -name loyalty_ledger.pc)"
[ -n "$pc_file" ] || fail "no loyalty_ledger.pc installed"
libdir="$(dirname "$(dirname "$pc_file")")"
libdir_rel="${libdir#"$prefix"/}"
(cd "$prefix" && find . \( -type f -o -type l \) | sed 's|^\./||' | sort) >"$work/installed"
{
  echo "bin/loyalty"
  echo "$libdir_rel/cmake/loyalty_ledger/loyalty_ledgerConfig.cmake"
  echo "$libdir_rel/cmake/loyalty_ledger/loyalty_ledgerConfigVersion.cmake"
  echo "$libdir_rel/cmake/loyalty_ledger/loyalty_ledgerTargets.cmake"
  echo "$libdir_rel/pkgconfig/loyalty_ledger.pc"
  for header in "$source_dir"/include/loyalty/*.h; do
    echo "include/loyalty/$(basename "$header")"
  done
  for proto in "$source_dir"/schemas/loyalty/v1/*.proto; do
    name="$(basename "$proto" .proto)"
    echo "include/loyalty/v1/$name.pb.h"
    echo "include/loyalty/v1/$name.proto"
  done
} >"$work/expected.unsorted"
# The build type names one more file of the exported targets, and the
# library has its versioned names.
grep -E "^$libdir_rel/cmake/loyalty_ledger/loyalty_ledgerTargets-[a-z]+\.cmake$" \
  "$work/installed" >>"$work/expected.unsorted" || fail "no per-configuration targets file"
grep -E "^$libdir_rel/libloyalty_ledger\.so(\.[0-9]+)*$" "$work/installed" \
  >>"$work/expected.unsorted" || fail "no libloyalty_ledger.so installed"
sort "$work/expected.unsorted" >"$work/expected"
diff -u "$work/expected" "$work/installed" >"$work/layout.diff" ||
  fail "the installed files are not the package's (- missing, + unexpected):
$(cat "$work/layout.diff")"
[ -L "$libdir/libloyalty_ledger.so" ] || fail "libloyalty_ledger.so is not a link to the versioned library"

"$prefix/bin/loyalty" help >/dev/null || fail "the installed loyalty tool does not run"

check_output() {  # check_output WHAT FILE
  grep -Eqx 'M1 available_points=123 tier=TIER_REGULAR head=3' "$2" ||
    fail "$1 printed: $(cat "$2")"
}

# --- find_package ---------------------------------------------------------
step "find_package(loyalty_ledger) in tests/install_consumer"
generator=""
if command -v ninja >/dev/null 2>&1; then generator="-GNinja"; fi
"$cmake" -S "$source_dir/tests/install_consumer" -B "$work/consumer" $generator \
  "-DCMAKE_PREFIX_PATH=$prefix" "-DCMAKE_C_COMPILER=$cc" "-DCMAKE_CXX_COMPILER=$cxx" \
  "-DCMAKE_C_FLAGS=$extra_flags" "-DCMAKE_CXX_FLAGS=$extra_flags" \
  "-DCMAKE_EXE_LINKER_FLAGS=$extra_flags" >"$work/configure.log" 2>&1 ||
  fail "configuring the consumer failed: $(cat "$work/configure.log")"
"$cmake" --build "$work/consumer" -j 2 >"$work/build.log" 2>&1 ||
  fail "building the consumer failed: $(cat "$work/build.log")"
# The build tree's RPATH finds the installed library: no LD_LIBRARY_PATH.
"$work/consumer/app" "$work/db-cmake" >"$work/app.out" 2>&1 || fail "app failed: $(cat "$work/app.out")"
check_output "app (find_package)" "$work/app.out"

# --- pkg-config -----------------------------------------------------------
step "pkg-config --cflags --libs loyalty_ledger"
PKG_CONFIG_PATH="$libdir/pkgconfig"
export PKG_CONFIG_PATH
flags="$(pkg-config --cflags --libs loyalty_ledger)" || fail "pkg-config does not know loyalty_ledger"
# The .pc file is relocatable: its prefix is found from its own place.
includedir="$(pkg-config --variable=includedir loyalty_ledger)"
[ "$(cd "$includedir" && pwd -P)" = "$(cd "$prefix/include" && pwd -P)" ] ||
  fail "pkg-config's includedir $includedir is not $prefix/include"
# shellcheck disable=SC2086 # the flags are words
"$cxx" -std=c++17 $extra_flags "$source_dir/tests/install_consumer/main.cc" $flags \
  -o "$work/app-pkg-config" >"$work/pkg-config-build.log" 2>&1 ||
  fail "building with pkg-config failed: $(cat "$work/pkg-config-build.log")"
LD_LIBRARY_PATH="$libdir" "$work/app-pkg-config" "$work/db-pkg-config" >"$work/app-pc.out" 2>&1 ||
  fail "app (pkg-config) failed: $(cat "$work/app-pc.out")"
check_output "app (pkg-config)" "$work/app-pc.out"

step "the C API's test as C99, with pkg-config"
# shellcheck disable=SC2086
"$cc" -std=c99 -pedantic-errors $c_extra_flags "$source_dir/tests/c_api_test.c" $flags \
  $c_extra_libs -o "$work/c_api_test" >"$work/c-build.log" 2>&1 ||
  fail "building c_api_test.c with pkg-config failed: $(cat "$work/c-build.log")"
LD_LIBRARY_PATH="$libdir" "$work/c_api_test" >"$work/c.out" 2>&1 ||
  fail "c_api_test against the installed library failed: $(cat "$work/c.out")"

# --- Python, on the installed library ---------------------------------------
if [ -z "$sanitize" ] && command -v python3 >/dev/null 2>&1; then
  step "examples/python/balance.py with LD_LIBRARY_PATH=$libdir"
  LD_LIBRARY_PATH="$libdir" python3 "$source_dir/examples/python/balance.py" >"$work/py.out" 2>&1 ||
    fail "balance.py on the installed library failed: $(cat "$work/py.out")"
  grep -qx 'M1 available_points=123 debt_points=0 tier=regular' "$work/py.out" ||
    fail "balance.py printed: $(cat "$work/py.out")"
fi

echo "install_test: passed"
