#!/usr/bin/env bash
# Sets up a Debian 12 machine, builds everything and runs the whole test suite.
# The tests are switched on whatever an earlier configure of BUILD_DIR said,
# and a run that finds no test fails. Tests run two more at a time than
# there are cores: many wait on servers, failovers and subprocesses.
# LOYALTY_CTEST_ARGS adds arguments to ctest (.ci/run uses it).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-debian.sh
BUILD_DIR="${BUILD_DIR:-build}" scripts/build.sh -DLOYALTY_BUILD_TESTS=ON -DLOYALTY_BUILD_BENCH=ON "$@"
# shellcheck disable=SC2086 # word splitting of the extra arguments is meant
ctest --test-dir "${BUILD_DIR:-build}" --output-on-failure --no-tests=error -j"$(($(nproc) + 2))" \
  ${LOYALTY_CTEST_ARGS:-}
