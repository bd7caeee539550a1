#!/usr/bin/env bash
# Installs what loyalty-ledger needs to build, test and benchmark on Debian 12,
# from Debian's own packages. Does nothing when everything is there already.
set -euo pipefail

packages=(
  cmake ninja-build g++ pkg-config
  librocksdb-dev rocksdb-tools
  libprotobuf-dev protobuf-compiler
  libabsl-dev libssl-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  python3 openssl
  clang libclang-rt-14-dev
  libpq-dev postgresql postgresql-15-auto-failover
)

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done

if ((${#missing[@]} > 0)); then
  echo "installing: ${missing[*]}" >&2
  sudo=""
  if [[ $(id -u) -ne 0 ]]; then sudo="sudo"; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
