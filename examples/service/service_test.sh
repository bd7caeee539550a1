#!/bin/sh
# Runs examples/service as a service would be run: loads testdata/purchases.csv
# into a fresh ledger, answers queries, loads the file again (recording
# nothing twice) and rejects a malformed file naming its line.
#   usage: service_test.sh PATH_TO_loyalty_service_example
set -eu
service="$1"
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/loyalty-service-test-XXXXXX")"
trap 'rm -rf "$work"' EXIT
now="2024-12-31T12:00:00+08:00"

fail() { echo "service_test: $*" >&2; exit 1; }

# Expect: M1 earns 123 + 8; M2 earns 6000 as regular, reaches silver with
# 6000 fen of spend, then earns 100 * 1.25 on P3.
printf 'balance M1\nbalance M2\n\nbalance M9\nbogus\nquit\nbalance M1\n' |
  "$service" --now "$now" "$work/db" "$here/testdata/purchases.csv" >"$work/out" 2>"$work/err" ||
  fail "first run failed: $(cat "$work/err")"
cat >"$work/want" <<'WANT'
M1 available_points=131 debt_points=0 tier=regular
M2 available_points=6125 debt_points=0 tier=silver
error: NOT_FOUND: member_id: "M9" is not enrolled
error: usage: balance MEMBER | metrics | quit
WANT
diff -u "$work/want" "$work/out" || fail "unexpected answers"
grep -qx "loaded $here/testdata/purchases.csv: 4 purchases recorded, 0 already recorded, 2 members enrolled" \
  "$work/err" || fail "unexpected summary: $(cat "$work/err")"

# The same file again: nothing is recorded twice, the balances stay.
echo 'balance M2' |
  "$service" --now "$now" "$work/db" "$here/testdata/purchases.csv" >"$work/out" 2>"$work/err" ||
  fail "second run failed: $(cat "$work/err")"
echo 'M2 available_points=6125 debt_points=0 tier=silver' | diff -u - "$work/out" ||
  fail "unexpected answer after reloading"
grep -q ": 0 purchases recorded, 4 already recorded, 0 members enrolled" "$work/err" ||
  fail "unexpected summary after reloading: $(cat "$work/err")"

# Metrics: Prometheus text, then `# EOF`. This third load opens the engine
# at the first run's checkpoint (nothing to catch up) and records nothing:
# each of the four rows' enrolment and purchase answers AlreadyExists.
printf 'metrics\nquit\n' |
  "$service" --now "$now" "$work/db" "$here/testdata/purchases.csv" >"$work/out" 2>"$work/err" ||
  fail "metrics run failed: $(cat "$work/err")"
[ "$(tail -n 1 "$work/out")" = "# EOF" ] || fail "metrics: no # EOF at the end"
for want in \
    'loyalty_ledger_appends_total 0' \
    'loyalty_ledger_events_appended_total 0' \
    'loyalty_engine_commands_rejected_total{kind="record_purchase"} 4' \
    'loyalty_engine_commands_rejected_total{kind="enrol_member"} 4' \
    'loyalty_engine_projection_lag_events 0' \
    'loyalty_engine_catch_up_on_open_events 0' \
    '# TYPE loyalty_engine_command_latency_seconds histogram' \
    'loyalty_engine_command_latency_seconds_count 8'; do
  grep -qxF "$want" "$work/out" || fail "metrics: no line \"$want\" in: $(cat "$work/out")"
done
# Every other line is a sample `name{labels} value` or a # HELP/# TYPE line.
if grep -vE '^(# (HELP|TYPE|EOF)( .*)?|[a-z_]+(\{[a-z_]+="[^"]*"\})? [-+0-9.Inf]+)$' "$work/out"; then
  fail "metrics: the lines above are not Prometheus text"
fi

# A malformed line stops the load with its number, and exit code 1.
printf 'P9,M1,store-7,12.5,2024-06-01T10:00:00Z\n' >"$work/bad.csv"
status=0
"$service" --now "$now" "$work/db" "$work/bad.csv" </dev/null >"$work/out" 2>"$work/err" || status=$?
[ "$status" -eq 1 ] || fail "malformed file: exit code $status, want 1"
grep -q 'bad.csv:1: amount_fen: "12.5" is not an integer' "$work/err" ||
  fail "malformed file: unexpected message: $(cat "$work/err")"

echo "service_test: passed"
