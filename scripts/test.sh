#!/usr/bin/env bash
# Sets up a Debian 12 machine, builds everything and runs the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-debian.sh
BUILD_DIR="${BUILD_DIR:-build}" scripts/build.sh -DLOYALTY_BUILD_BENCH=ON "$@"
ctest --test-dir "${BUILD_DIR:-build}" --output-on-failure -j"$(nproc)"
