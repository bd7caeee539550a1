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

pg_bin=${LOYALTY_PG_BIN:-}
if [[ -z $pg_bin ]]; then
  pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
fi
[[ -x $pg_bin/initdb && -x $pg_bin/pg_ctl ]] || {
  echo "run.sh: no PostgreSQL server binaries (Debian: apt-get install postgresql)" >&2; exit 2; }

as_server=()
if [[ $(id -u) -eq 0 ]]; then
  if ! id loyaltybench >/dev/null 2>&1; then
    useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin loyaltybench
  fi
  as_server=(runuser -u loyaltybench --)
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/loyalty-peer-XXXXXX")
pgdata="$work/pgdata"
socket_dir="$work/socket"
started=0
cleanup() {
  if ((started)); then
    "${as_server[@]}" "$pg_bin/pg_ctl" -D "$pgdata" -m fast -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT INT TERM
mkdir -p "$socket_dir" "$work/bench"
chmod 755 "$work"
if ((${#as_server[@]} > 0)); then chown loyaltybench "$work" "$socket_dir"; fi

"${as_server[@]}" "$pg_bin/initdb" -D "$pgdata" -U loyalty --auth=trust -E UTF8 --locale=C.UTF-8 \
  >"$work/initdb.log" 2>&1 || { cat "$work/initdb.log" >&2; exit 1; }
# Settings a real deployment of this size would have; durability left at
# the defaults (fsync, synchronous_commit and full_page_writes on).
"${as_server[@]}" "$pg_bin/pg_ctl" -D "$pgdata" -l "$work/server.log" -w \
  -o "-c listen_addresses='' -k $socket_dir -c shared_buffers=256MB -c max_wal_size=4GB \
      -c fsync=on -c synchronous_commit=on" start >/dev/null \
  || { cat "$work/server.log" >&2; exit 1; }
started=1

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "PostgreSQL: $("$pg_bin/postgres" --version), data and socket in $work"
"$bench" --work-dir="$work/bench" --pg="host=$socket_dir user=loyalty dbname=postgres" \
  --members="$members" --days="$days" --batch-events="$batch_events" --queries="$queries" \
  --seed="$seed"
