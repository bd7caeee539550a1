#!/bin/sh
# The README's two quick-start commands, scripts/demo.sh and scripts/test.sh,
# in either order on one build directory: the test command must always find
# and run the whole suite, and the demo must always get its tool.
#
# CMake's configure steps are real (the option cache is what this is about);
# building is replaced by a stand-in that makes only a stub `loyalty`, and
# ctest by one that lists the registered tests instead of running them, so the
# check takes seconds. dpkg-query answers "installed" so that nothing is
# installed.
#   usage: scripts_order_test.sh SOURCE_DIR CMAKE CTEST
set -eu
source_dir="$1"
real_cmake="$2"
real_ctest="$3"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir "$work/bin"

cat >"$work/bin/dpkg-query" <<'FAKE'
#!/bin/sh
printf 'install ok installed'
FAKE

cat >"$work/bin/cmake" <<FAKE
#!/bin/sh
if [ "\$1" = "--build" ]; then
  build_dir="\$2"
  case " \$* " in
    *" --target loyalty "*|*" --target loyalty") ;;
    *) echo "build all of \$build_dir" >>"$work/log" ;;
  esac
  mkdir -p "\$build_dir/cli"
  printf '#!/bin/sh\necho "loyalty \$*" >>"$work/log"\n' >"\$build_dir/cli/loyalty"
  chmod +x "\$build_dir/cli/loyalty"
  exit 0
fi
exec "$real_cmake" "\$@"
FAKE

cat >"$work/bin/ctest" <<FAKE
#!/bin/sh
test_dir=""
no_tests_error=0
while [ \$# -gt 0 ]; do
  case "\$1" in
    --test-dir) test_dir="\$2"; shift ;;
    --no-tests=error) no_tests_error=1 ;;
  esac
  shift
done
count=\$("$real_ctest" --test-dir "\$test_dir" -N | sed -n 's/^Total Tests: //p')
echo "ctest found \$count tests" >>"$work/log"
if [ "\$count" = "0" ] && [ "\$no_tests_error" = "1" ]; then
  echo "No tests were found!!!" >&2
  exit 8
fi
exit 0
FAKE
chmod +x "$work/bin/"*

fail() {
  echo "FAIL: $*" >&2
  echo "--- log" >&2
  cat "$work/log" >&2 || true
  exit 1
}

# Runs one script of the source tree with the stand-ins, in $work.
run() {
  (cd "$work" && PATH="$work/bin:$PATH" BUILD_DIR="$work/build" "$source_dir/scripts/$1") \
    >>"$work/log" 2>&1 || fail "scripts/$1 exited $?"
}

expect_tests_found() {
  last="$(grep '^ctest found' "$work/log" | tail -n 1)"
  case "$last" in
    "ctest found 0 tests"|"") fail "$1: the test command ran no tests ($last)" ;;
  esac
}

# The order the README lists them.
run demo.sh
grep -q '^loyalty --db ./loyalty-data demo' "$work/log" || fail "demo first: no demo ran"
run test.sh
expect_tests_found "demo, then test"
grep -q '^build all of' "$work/log" || fail "demo, then test: the test command built only the tool"

# The other order, on a new build directory.
rm -rf "$work/build" "$work/log"
run test.sh
expect_tests_found "test first"
run demo.sh
grep -q '^loyalty --db ./loyalty-data demo' "$work/log" || fail "test, then demo: no demo ran"
run test.sh
expect_tests_found "test, demo, test"

# A build directory configured without tests (as an older demo script left
# it): the test command switches them back on.
rm -rf "$work/build" "$work/log"
"$real_cmake" -S "$source_dir" -B "$work/build" -G Ninja -DLOYALTY_BUILD_TESTS=OFF >/dev/null
run test.sh
expect_tests_found "a build configured without tests"

echo "ok: both orders build and run the whole suite"
