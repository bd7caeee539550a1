#!/usr/bin/env bash
# The concurrency tests under ThreadSanitizer: the ledger's tests (group
# commit, concurrent appends and reads, faults under concurrent appenders, on
# both backends: ledger_backends_test starts its own PostgreSQL server),
# the engine's (concurrent commands; and two engines racing on one ledger in
# PostgreSQL, engine_postgres_test) and the replay on two threads. Builds
# only those targets.
# Not the crash campaign: its writer (an engine on two RocksDB instances, with
# their background threads) draws reports from inside Debian's static,
# uninstrumented RocksDB whose stacks end in RocksDB frames, so they can be
# neither attributed nor suppressed narrowly (docs/reliability.md).
#   BUILD_DIR=build-tsan scripts/tsan.sh [extra cmake args]
# ledger/tsan_suppressions.txt says what is suppressed and why.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir="${BUILD_DIR:-build-tsan}"
targets=(ledger_test ledger_backends_test engine_test engine_postgres_test replay_test)
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DLOYALTY_SANITIZE=thread -DLOYALTY_BUILD_BENCH=OFF "$@" >/dev/null
cmake --build "$build_dir" -j"$(nproc)" --target "${targets[@]}"
export TSAN_OPTIONS="suppressions=$PWD/ledger/tsan_suppressions.txt halt_on_error=1 second_deadlock_stack=1"
# Left out: the tests that fork a child which starts threads without exec
# (ledger/crash_test.cc, the second-process tests, the engine's kill during
# catch-up). TSan does not support threads in a child forked from a
# multi-threaded process; they run in the normal and ASan builds.
no_fork="-CrashTest.*:LedgerDirectoryTest.*:EngineCrashTest.*"
status=0
for test in ledger/ledger_test ledger/ledger_backends_test engine/engine_test \
  engine/engine_postgres_test replay/replay_test; do
  echo "== $test under TSan"
  "$build_dir/$test" --gtest_brief=1 --gtest_filter="$no_fork" || status=1
done
exit "$status"
