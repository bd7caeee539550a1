#!/usr/bin/env bash
# Sets up a Debian 12 machine, builds the tool and runs the demo: a seeded
# year of a mall's member program in ./loyalty-data (reused if present; pass
# --replace to start over). Extra arguments go to `loyalty demo`.
#
# It builds only the tool and leaves the build's options as they are, so that
# scripts/test.sh, before or after it in the same build directory, still
# builds and runs the whole suite.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build_dir="${BUILD_DIR:-$root/build}"
"$root/scripts/setup-debian.sh"
BUILD_DIR="$build_dir" BUILD_TARGETS=loyalty "$root/scripts/build.sh"
"$build_dir/cli/loyalty" --db ./loyalty-data demo "$@"
