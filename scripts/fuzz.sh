#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/) with clang, ASan and UBSan into
# build-fuzz/ and runs each for SECONDS (default 20) on a copy of its seed
# corpus (fuzz/corpus/<target>/), so the committed corpus only changes by
# hand. A crash stops the script with the fuzzer's report and the input
# saved as build-fuzz/crash-*.
#   scripts/fuzz.sh [SECONDS] [TARGET...]
# FUZZ_BUILD_DIR overrides the build directory; FUZZ_JOBS the build's -j.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-20}"
shift || true
targets=("$@")
if ((${#targets[@]} == 0)); then
  targets=(json_lines bundle_events purchase_csv check_proof)
fi
build_dir="${FUZZ_BUILD_DIR:-build-fuzz}"

if ! command -v clang++ >/dev/null; then
  echo "fuzz.sh: clang++ is missing (scripts/setup-debian.sh installs clang and libclang-rt-14-dev)" >&2
  exit 1
fi
if [[ ! -f "$build_dir/build.ninja" ]]; then
  CC=clang CXX=clang++ cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DLOYALTY_FUZZ=ON -DLOYALTY_SANITIZE=address,undefined \
    -DLOYALTY_BUILD_TESTS=OFF -DLOYALTY_BUILD_BENCH=OFF >/dev/null
fi
cmake --build "$build_dir" -j"${FUZZ_JOBS:-$(nproc)}" --target "${targets[@]/%/_fuzz}"

for target in "${targets[@]}"; do
  work="$build_dir/fuzz-work/$target"
  mkdir -p "$work/corpus"
  cp -n fuzz/corpus/"$target"/* "$work/corpus/" 2>/dev/null || true
  echo "== fuzzing $target for ${seconds}s"
  # Leaks are left to the ASan test build; -rss_limit_mb keeps a runaway
  # input from taking the machine.
  (cd "$build_dir" && ASAN_OPTIONS=detect_leaks=0 UBSAN_OPTIONS=print_stacktrace=1 \
    "./fuzz/${target}_fuzz" -max_total_time="$seconds" -rss_limit_mb=2048 -max_len=65536 \
    -print_final_stats=1 "fuzz-work/$target/corpus" 2>&1 | tail -n 60)
done
