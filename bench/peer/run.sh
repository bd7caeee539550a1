#!/usr/bin/env bash
# Runs loyalty-ledger beside its PostgreSQL peer (bench/peer/peer_bench.cc)
# on a throwaway PostgreSQL server: initdb in a fresh temporary directory,
# the server on a unix socket there (no TCP), stopped and removed at the end.
#
#   bench/peer/run.sh [--bench PATH] [--members N] [--days N] [--batch-events N]
#                     [--queries N] [--seed N]
#
# PATH defaults to build/bench/peer/peer_bench. The server binaries come from
# Debian's postgresql package (/usr/lib/postgresql/VERSION/bin, or
# $LOYALTY_PG_BIN). The server refuses to run as root: as root, it runs as
# the system user loyaltybench (created if missing); otherwise as the caller.
# Durability is the default of both: fsync=on, synchronous_commit=on, every
# batch committed is on disk. Results: bench/README.md, "PostgreSQL peer".
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
bench="$here/../../build/bench/peer/peer_bench"
members=3000
days=365
batch_events=1000
queries=2000
seed=20240101
while (($# > 0)); do
  case "$1" in
    --bench) bench=$2; shift 2 ;;
    --members) members=$2; shift 2 ;;
    --days) days=$2; shift 2 ;;
    --batch-events) batch_events=$2; shift 2 ;;
    --queries) queries=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    *) echo "run.sh: unknown argument $1 (see the comment at the top)" >&2; exit 2 ;;
  esac
done
[[ -x $bench ]] || { echo "run.sh: no benchmark binary at $bench (build the peer_bench target)" >&2; exit 2; }

# The server: testing/throwaway_postgres.sh, as the tests start theirs.
server="$here/../../testing/throwaway_postgres.sh"
work=$(mktemp -d "${TMPDIR:-/tmp}/loyalty-peer-XXXXXX")
trap '"$server" stop "$work"' EXIT INT TERM
# Settings a real deployment of this size would have; durability left at
# the defaults (fsync, synchronous_commit and full_page_writes on).
"$server" start "$work" -c shared_buffers=256MB -c max_wal_size=4GB -c fsync=on \
  -c synchronous_commit=on
socket_dir="$work/socket"
mkdir -p "$work/bench"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "PostgreSQL: $(psql --version 2>/dev/null || echo "version unknown"), data and socket in $work"
"$bench" --work-dir="$work/bench" --pg="host=$socket_dir user=loyalty dbname=postgres" \
  --members="$members" --days="$days" --batch-events="$batch_events" --queries="$queries" \
  --seed="$seed"
