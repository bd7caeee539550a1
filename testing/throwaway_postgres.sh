#!/usr/bin/env bash
# A throwaway PostgreSQL server in a directory of its own, for tests:
#
#   testing/throwaway_postgres.sh start DIR [-c NAME=VALUE ...]
#       initdb in DIR/pgdata, the server on DIR/socket, with those settings
#   testing/throwaway_postgres.sh stop DIR
#       stops it (immediately: it is thrown away) and removes DIR
#
# DIR is created if missing and must be empty. The server listens on a unix socket in
# DIR/socket only (no TCP); its superuser is `loyalty`, trusted on that
# socket: connect with "host=DIR/socket user=loyalty dbname=postgres". The
# binaries are Debian's (/usr/lib/postgresql/15/bin, the newest installed
# version otherwise, or $LOYALTY_PG_BIN). PostgreSQL refuses to run as root:
# as root the server runs as the system user loyaltybench (created if
# missing). Durability is the server's default (fsync and synchronous_commit
# on). testing/throwaway_postgres.h runs `stop` when the test program ends,
# however it ends.
set -euo pipefail

command=${1:-}
dir=${2:-}
shift 2 || true
settings=("$@")
[[ ($command == start || $command == stop) && -n $dir ]] || {
  echo "usage: $0 start|stop DIR" >&2; exit 2; }

pg_bin=${LOYALTY_PG_BIN:-}
if [[ -z $pg_bin ]]; then
  if [[ -x /usr/lib/postgresql/15/bin/initdb ]]; then
    pg_bin=/usr/lib/postgresql/15/bin
  else
    pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  fi
fi
[[ -x $pg_bin/initdb && -x $pg_bin/pg_ctl ]] || {
  echo "$0: no PostgreSQL server binaries (Debian: apt-get install postgresql," \
       "or scripts/setup-debian.sh)" >&2; exit 1; }

as_server=()
if [[ $(id -u) -eq 0 ]]; then
  if ! id loyaltybench >/dev/null 2>&1; then
    # Two servers may start at once (ctest -j): the loser of the race finds the user made.
    useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin \
      loyaltybench || id loyaltybench >/dev/null
  fi
  as_server=(runuser -u loyaltybench --)
fi

if [[ $command == stop ]]; then
  if [[ -f $dir/pgdata/postmaster.pid ]]; then
    "${as_server[@]}" "$pg_bin/pg_ctl" -D "$dir/pgdata" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$dir"
  exit 0
fi

mkdir -p "$dir/socket"
chmod 755 "$dir"
if ((${#as_server[@]} > 0)); then chown loyaltybench "$dir" "$dir/socket"; fi
"${as_server[@]}" "$pg_bin/initdb" -D "$dir/pgdata" -U loyalty --auth=trust -E UTF8 \
  --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
"${as_server[@]}" "$pg_bin/pg_ctl" -D "$dir/pgdata" -l "$dir/server.log" -w \
  -o "-c listen_addresses='' -k $dir/socket -c max_connections=200 ${settings[*]}" start \
  >/dev/null \
  || { cat "$dir/server.log" >&2; exit 1; }
