#!/usr/bin/env bash
# Sets up a Debian 12 machine, builds the tool and runs the demo: a seeded
# year of a mall's member program in ./loyalty-data (reused if present; pass
# --replace to start over). Extra arguments go to `loyalty demo`.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/setup-debian.sh"
BUILD_DIR="$root/build" "$root/scripts/build.sh" -DLOYALTY_BUILD_BENCH=OFF -DLOYALTY_BUILD_TESTS=OFF
"$root/build/cli/loyalty" --db ./loyalty-data demo "$@"
