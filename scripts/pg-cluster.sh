#!/usr/bin/env bash
# Runs COMMAND beside a throwaway PostgreSQL 15 cluster managed by
# pg_auto_failover, then stops the cluster and deletes it:
#
#   scripts/pg-cluster.sh [--base-port N] [--default-timeouts] -- COMMAND [ARGS...]
#
# The cluster lives in a fresh temporary directory: a monitor, a primary and
# two standbys, each a PostgreSQL server listening on 127.0.0.1 only (ports
# N..N+3, default 57430) and on unix sockets in that directory, with trust
# authentication (loopback only). Commits wait for one of the two standbys
# (pg_auto_failover's number-sync-standbys 1: synchronous_standby_names
# 'ANY 1 (...)'), and the monitor promotes a standby when the primary dies.
# The servers refuse to run as root: as root they run as the system user
# loyaltypg (created if missing), otherwise as the caller.
#
# Failover timeouts: pg_auto_failover's defaults take about a minute from a
# primary's death to the first commit on its successor, most of it waiting:
# 20 s without a health check before a node is unhealthy, 30 s for a lost
# primary to demote itself. This throwaway cluster, on loopback, shortens
# them (health checks every second, unhealthy after 2 s, demotion given
# 4 s, and each keeper's network_partition_timeout 2 s, under it, so that a
# cut-off primary still stops before its successor starts), so that the
# failover tests can repeat. --default-timeouts keeps the defaults
# (docs/replication.md).
#
# COMMAND runs with these in its environment:
#   LOYALTY_PG_URI        the multi-host URI a client uses, as the servers'
#                         superuser, with target_session_attrs=read-write,
#                         in the schema "ledger" (empty)
#   LOYALTY_PG_NODES      "name:port" of the three data nodes, space-separated
#   LOYALTY_PG_CLUSTER    the cluster's directory: node N's data in nodeN/,
#                         the process group of its keeper and server in
#                         nodeN.pgid (kill -KILL -- -GROUP loses the node)
#   LOYALTY_PG_CTL        a command that runs pg_autoctl as the servers' user
#                         with the cluster's environment, e.g.
#                         $LOYALTY_PG_CTL show state --pgdata "$LOYALTY_PG_CLUSTER/monitor"
#   LOYALTY_PG_RESTART    a command that starts node N's keeper again (after
#                         its group was killed), in a new process group whose
#                         id it writes to nodeN.pgid: $LOYALTY_PG_RESTART N.
#                         The node rejoins as a standby; the script stops it
#                         at exit like the others.
# The script exits with COMMAND's exit code (or 2 when the cluster cannot be
# started, with its logs on standard error).
set -euo pipefail

base_port=57430
fast_timeouts=1
while (($# > 0)); do
  case "$1" in
    --base-port) base_port=$2; shift 2 ;;
    --default-timeouts) fast_timeouts=0; shift ;;
    --restart-node)
      # Internal: LOYALTY_PG_RESTART, run by COMMAND while the cluster runs,
      # so with COMMAND's environment (LOYALTY_PG_CTL).
      work=$2 node=$3
      setsid sh -c "exec ${LOYALTY_PG_CTL:?} run --pgdata '$work/node$node'" \
        >>"$work/node$node.log" 2>&1 &
      echo "$!" >"$work/node$node.pgid"
      exit 0 ;;
    --) shift; break ;;
    *) echo "pg-cluster.sh: unknown argument $1 (see the comment at the top)" >&2; exit 2 ;;
  esac
done
(($# > 0)) || { echo "pg-cluster.sh: no COMMAND after --" >&2; exit 2; }

pg_bin=${LOYALTY_PG_BIN:-/usr/lib/postgresql/15/bin}
[[ -x $pg_bin/initdb ]] || { echo "pg-cluster.sh: no PostgreSQL 15 in $pg_bin (apt-get install postgresql-15)" >&2; exit 2; }
command -v pg_autoctl >/dev/null || { echo "pg-cluster.sh: no pg_autoctl (apt-get install postgresql-15-auto-failover)" >&2; exit 2; }

work=$(mktemp -d "${TMPDIR:-/tmp}/loyalty-pg-cluster-XXXXXX")
chmod 755 "$work"
mkdir -p "$work/home" "$work/sock"
as_server=()
if [[ $(id -u) -eq 0 ]]; then
  if ! id loyaltypg >/dev/null 2>&1; then
    # Two clusters may start at once (ctest -j): the loser of the race finds the user made.
    useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin loyaltypg ||
      id loyaltypg >/dev/null
  fi
  chown -R loyaltypg "$work"
  as_server=(runuser -u loyaltypg --)
fi
# pg_autoctl keeps its configuration and state under HOME's XDG directories,
# and finds pg_ctl on PATH: both point into the cluster alone.
server_env=(env "PATH=$pg_bin:/usr/bin:/bin" "HOME=$work/home" "XDG_CONFIG_HOME=$work/home/config"
  "XDG_DATA_HOME=$work/home/data" "XDG_RUNTIME_DIR=$work/home/run" "PGHOST=$work/sock")
ctl=("${as_server[@]}" "${server_env[@]}" pg_autoctl)

# Each keeper runs in a session of its own (setsid), whose process group
# holds it, its services and its PostgreSQL server: killing the group is
# losing the machine. Its id is in NAME.pgid.
pids=()
start_keeper() {
  local name=$1
  setsid "${ctl[@]}" run --pgdata "$work/$name" >"$work/$name.log" 2>&1 &
  pids+=($!)
  echo "$!" >"$work/$name.pgid"
}
cleanup() {
  # The groups started here, and those LOYALTY_PG_RESTART started since.
  for file in "$work"/*.pgid; do [[ -f $file ]] && pids+=("$(cat "$file")"); done
  for pid in "${pids[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do
    for _ in $(seq 100); do kill -0 -- "-$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$pid" 2>/dev/null || true
  done
  # Servers whose keeper was killed first stop with their data directory.
  for data in "$work"/monitor "$work"/node*; do
    [[ -f $data/postmaster.pid ]] || continue
    "${as_server[@]}" "$pg_bin/pg_ctl" -D "$data" -m immediate -w stop >/dev/null 2>&1 || true
  done
  rm -rf "$work"
}
trap cleanup EXIT

fail() {
  echo "pg-cluster.sh: $1; the logs follow" >&2
  tail -n 20 "$work"/*.log >&2 || true
  exit 2
}

# Polls `pg_autoctl show state` until `count` nodes report `state` and are
# assigned it (nothing left to apply).
wait_for_state() {
  local state=$1 count=$2 seconds=$3
  for _ in $(seq $((seconds * 2))); do
    local seen
    seen=$("${ctl[@]}" show state --pgdata "$work/monitor" 2>/dev/null |
      grep -cE "\| +$state +\| +$state *$" || true)
    ((seen >= count)) && return 0
    sleep 0.5
  done
  return 1
}

monitor_port=$base_port
"${as_server[@]}" "$pg_bin/initdb" -D "$work/monitor" -A trust >"$work/initdb.log" 2>&1 ||
  fail "initdb of the monitor failed"
printf "listen_addresses = '127.0.0.1'\nunix_socket_directories = '%s'\n" "$work/sock" \
  >>"$work/monitor/postgresql.conf"
# As with the nodes below: the monitor's supervisor gives up when the server
# was slow to start five times within 40 seconds (seen on a loaded machine,
# with the monitor initialized a moment later), and the creation resumes
# where it stopped when run again.
created=0
for attempt in 1 2 3; do
  if "${ctl[@]}" create monitor --pgdata "$work/monitor" --pgport "$monitor_port" \
    --hostname 127.0.0.1 --listen 127.0.0.1 --auth trust --no-ssl \
    >>"$work/monitor-create.log" 2>&1; then
    created=1
    break
  fi
  echo "pg-cluster.sh: creating the monitor failed (attempt $attempt), trying again" >&2
  if [[ -f $work/monitor/postmaster.pid ]]; then
    "${as_server[@]}" "$pg_bin/pg_ctl" -D "$work/monitor" -m fast -w stop >/dev/null 2>&1 || true
  fi
done
((created)) || fail "creating the monitor failed"
start_keeper monitor
monitor_uri="postgres://autoctl_node@127.0.0.1:$monitor_port/pg_auto_failover?sslmode=disable"
for _ in $(seq 60); do
  "$pg_bin/pg_isready" -q -h 127.0.0.1 -p "$monitor_port" && break
  sleep 0.5
done
if ((fast_timeouts)); then
  monitor_user=$(stat -c %U "$work/monitor")
  "$pg_bin/psql" -X -q -h 127.0.0.1 -p "$monitor_port" -U "$monitor_user" -d pg_auto_failover \
    -c "ALTER SYSTEM SET pgautofailover.health_check_period = 1000" \
    -c "ALTER SYSTEM SET pgautofailover.health_check_timeout = 1000" \
    -c "ALTER SYSTEM SET pgautofailover.health_check_max_retries = 1" \
    -c "ALTER SYSTEM SET pgautofailover.health_check_retry_delay = 500" \
    -c "ALTER SYSTEM SET pgautofailover.node_considered_unhealthy_timeout = 2000" \
    -c "ALTER SYSTEM SET pgautofailover.primary_demote_timeout = 4000" \
    -c "SELECT pg_reload_conf()" >"$work/monitor-settings.log" 2>&1 ||
    fail "setting the monitor's timeouts failed"
fi

nodes=""
hosts=""
for n in 1 2 3; do
  port=$((base_port + n))
  if ((n == 1)); then
    # The primary's settings reach the standbys with its base backup.
    "${as_server[@]}" "$pg_bin/initdb" -D "$work/node1" -A trust >>"$work/initdb.log" 2>&1 ||
      fail "initdb of node 1 failed"
    printf "listen_addresses = '127.0.0.1'\nunix_socket_directories = '%s'\n" "$work/sock" \
      >>"$work/node1/postgresql.conf"
  fi
  # A standby's creation takes a base backup while its supervisor waits for
  # the server; on a loaded machine the supervisor can give up first. The
  # creation resumes where it stopped when run again.
  created=0
  for attempt in 1 2 3; do
    if "${ctl[@]}" create postgres --pgdata "$work/node$n" --pgport "$port" --hostname 127.0.0.1 \
      --listen 127.0.0.1 --name "s$n" --dbname loyalty --auth trust --no-ssl \
      --monitor "$monitor_uri" >>"$work/node$n-create.log" 2>&1; then
      created=1
      break
    fi
    echo "pg-cluster.sh: creating node $n failed (attempt $attempt), trying again" >&2
  done
  ((created)) || fail "creating node $n failed"
  if ((fast_timeouts)); then
    "${ctl[@]}" config set --pgdata "$work/node$n" timeout.network_partition_timeout 2 \
      >>"$work/node$n-create.log" 2>&1 || fail "setting node $n's timeouts failed"
  fi
  start_keeper "node$n"
  if ((n == 1)); then
    wait_for_state single 1 60 || fail "node 1 did not become the primary"
  fi
  nodes+="s$n:$port "
  hosts+="127.0.0.1:$port,"
done
wait_for_state secondary 2 180 || fail "the standbys did not catch up"
"${ctl[@]}" set formation number-sync-standbys --pgdata "$work/node1" 1 >"$work/settings.log" 2>&1 ||
  fail "setting number-sync-standbys failed"
wait_for_state primary 1 60 || fail "no primary with synchronous standbys"

# initdb made the servers' user its superuser role; clients connect as it,
# to a schema of their own: pg_auto_failover keeps pg_stat_statements in
# "public", and the ledger takes only an empty schema.
server_user=$(stat -c %U "$work/node1")
"$pg_bin/psql" -X -q -h 127.0.0.1 -p "$((base_port + 1))" -U "$server_user" -d loyalty \
  -c "CREATE SCHEMA ledger" >"$work/schema.log" 2>&1 || fail "creating the schema failed"
export LOYALTY_PG_URI="postgresql://$server_user@${hosts%,}/loyalty?target_session_attrs=read-write&connect_timeout=5&options=-csearch_path%3Dledger"
export LOYALTY_PG_NODES="${nodes% }"
export LOYALTY_PG_CLUSTER="$work"
export LOYALTY_PG_CTL="${ctl[*]}"
export LOYALTY_PG_RESTART="$(realpath "$0") --restart-node $work"
set +e
"$@"
status=$?
set -e
exit "$status"
