#!/usr/bin/env bash
# The replicated PostgreSQL cluster the ledger runs on (scripts/pg-cluster.sh),
# checked before anything is built on it: run by ctest as
#   scripts/pg-cluster.sh -- tests/pg_cluster_test.sh
# 1. Commits wait for a standby: synchronous_standby_names is 'ANY 1 (...)';
#    with both standbys frozen a commit is not acknowledged, and it is as
#    soon as one is back.
# 2. Failover: the primary's server and keeper killed with SIGKILL, a
#    standby is promoted, the multi-host URI reaches it, and every row
#    acknowledged before the kill is there exactly once.
set -euo pipefail
: "${LOYALTY_PG_URI:?run under scripts/pg-cluster.sh}"
cluster=$LOYALTY_PG_CLUSTER
user=$(stat -c %U "$cluster/node1")
sql() { psql "$LOYALTY_PG_URI" -U "$user" -X -q -A -t -v ON_ERROR_STOP=1 "$@"; }
node_port() { for node in $LOYALTY_PG_NODES; do [[ ${node%%:*} == "$1" ]] && echo "${node##*:}"; done; }
primary_port() { sql -c "select current_setting('port')"; }
fail() { echo "pg_cluster_test: FAIL: $*" >&2; exit 1; }

sql -c "create table acknowledged (id bigint primary key)"
for i in $(seq 1 50); do sql -c "insert into acknowledged values ($i)"; done
names=$(sql -c "show synchronous_standby_names")
[[ $names == "ANY 1 ("*")" ]] || fail "synchronous_standby_names is '$names', not ANY 1 (...)"
echo "ok: commits wait for ANY 1 of the standbys: $names"

# 1. Both standbys frozen: the commit waits.
# Every process of both servers, the WAL receivers among them.
standby_pids=()
for n in 2 3; do
  postmaster=$(head -n 1 "$cluster/node$n/postmaster.pid")
  standby_pids+=("$postmaster" $(pgrep -P "$postmaster"))
done
# A backend may exit between the listing and the signal.
kill -STOP "${standby_pids[@]}" 2>/dev/null || true
started=$(date +%s)
if timeout 4 psql "$LOYALTY_PG_URI" -U "$user" -X -q -c "insert into acknowledged values (51)" >/dev/null 2>&1; then
  kill -CONT "${standby_pids[@]}" 2>/dev/null || true
  fail "a commit was acknowledged with both standbys frozen"
fi
kill -CONT "${standby_pids[@]}" 2>/dev/null || true
echo "ok: no acknowledgement without a standby (waited $(($(date +%s) - started)) s, then gave up)"
timeout 60 psql "$LOYALTY_PG_URI" -U "$user" -X -q -c "insert into acknowledged values (52)" >/dev/null ||
  fail "a commit did not complete once the standbys were back"
echo "ok: commits complete again once a standby is back"

# 2. The primary dies.
old_port=$(primary_port)
[[ $old_port == "$(node_port s1)" ]] || fail "s1 is not the primary (port $old_port)"
kill -KILL -- "-$(cat "$cluster/node1.pgid")"
killed=$(date +%s%N)
for _ in $(seq 240); do
  if timeout 5 psql "$LOYALTY_PG_URI" -U "$user" -X -q -c "insert into acknowledged values (53)" >/dev/null 2>&1; then
    break
  fi
  sleep 0.5
done
new_port=$(primary_port) || fail "no primary after the kill"
[[ $new_port != "$old_port" ]] || fail "the old primary still answers"
elapsed_ms=$((($(date +%s%N) - killed) / 1000000))
echo "ok: failover to port $new_port, first acknowledged commit ${elapsed_ms} ms after the kill"
count=$(sql -c "select count(*) from acknowledged where id <= 50")
distinct=$(sql -c "select count(distinct id) from acknowledged")
[[ $count == 50 ]] || fail "$count of the 50 rows acknowledged before the kill are on the new primary"
echo "ok: every row acknowledged before the kill is on the new primary ($distinct rows in all)"
