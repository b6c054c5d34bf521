#!/usr/bin/env bash
# make bench's load run. Creates a scratch database and broker namespace, starts payer-sim at a
# fixed latency and intake, benefits and claims as separate processes, runs `rxbridge loadtest`,
# stops them, measures the ceilings (Postgres, RabbitMQ) on the same scratch database, and
# removes everything it created (database, queues, exchanges), also when a step fails.
#
# usage: load.sh RXBRIDGE_BIN RX_BENCH_BIN OUT_DIR
set -euo pipefail

BIN=$1
RXB=$2
OUT=$3
ADMIN_URL=${ADMIN_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}
PG=${BENCH_PG:-127.0.0.1:5432}
AMQP=${BENCH_AMQP_URL:-amqp://guest:guest@127.0.0.1:5672/%2f}
CLIENTS=${LOAD_CLIENTS:-16}
DURATION=${LOAD_SECONDS:-20}
RATE=${LOAD_RATE:-0}
# hl7v2,fhir,eligibility_cached,eligibility_uncached,record_session (loadtest --mix)
MIX=${LOAD_MIX:-40,20,25,5,10}
PAYER_LATENCY_MS=${PAYER_LATENCY_MS:-20}
DB=rxbridge_bench_$$
NS=rxbench-$$
PLANS="$(cd "$(dirname "$0")/../payer-sim/examples" && pwd)/plans.json"
mkdir -p "$OUT"
rm -f "$OUT"/loadtest.json "$OUT"/loadtest-burst.json "$OUT"/loadtest-paced.json "$OUT"/ceilings.json "$OUT"/startup.tsv

pids=()
stop_all() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do
    for _ in $(seq 1 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$p" 2>/dev/null || true
  done
  pids=()
}
cleanup() {
  stop_all
  psql "$ADMIN_URL" -qc "DROP DATABASE IF EXISTS \"$DB\" WITH (FORCE)" >/dev/null 2>&1 || true
  "$RXB" cleanup-broker --namespace "$NS" --amqp-url "$AMQP" >/dev/null 2>&1 || true
}
trap cleanup EXIT

# waits for "<what> listening on ADDR" in a log; prints ADDR
listening() {
  local log=$1 what=$2 line
  for _ in $(seq 1 600); do
    line=$(grep -a -m1 "$what listening on " "$log" 2>/dev/null || true)
    if [ -n "$line" ]; then echo "${line##* }"; return 0; fi
    sleep 0.02
  done
  echo "load.sh: no '$what listening on' in $log" >&2; tail -20 "$log" >&2; return 1
}
now_ms() { date +%s%3N; }

"$BIN" db init --admin-url "$ADMIN_URL" --database "$DB" >/dev/null
# the services run as their runtime roles (row-level security binds them); migrations as owners.
# Loopback has no network to protect: TLS to Postgres is off unless LOAD_PG_SSLMODE says otherwise
# (it cost ~14 % of end-to-end throughput here; deployments use sslmode=require, see tls.rs).
for svc in intake benefits claims; do
  up=${svc^^}
  export "${up}_DATABASE_URL=postgres://rxbridge_${svc}_app@$PG/$DB?sslmode=${LOAD_PG_SSLMODE:-disable}"
  export "${up}_MIGRATION_DATABASE_URL=postgres://rxbridge_${svc}@$PG/$DB"
done
export AMQP_URL="$AMQP" RXBRIDGE_NAMESPACE="$NS" RUST_LOG=${LOAD_RUST_LOG:-warn}
export METRICS_ADDR=127.0.0.1:0 INTAKE_GRPC_ADDR=127.0.0.1:0 BENEFITS_GRPC_ADDR=127.0.0.1:0 CLAIMS_GRPC_ADDR=127.0.0.1:0
export INTAKE_FHIR_ADDR=127.0.0.1:0 INTAKE_MLLP_ADDR=127.0.0.1:0 INTAKE_MLLP_CLINIC_ID=loadtest
export CLAIMS_POLL_SECONDS=0 DB_MAX_CONNECTIONS=${LOAD_DB_CONNECTIONS:-10}
# Callers authenticate with a bearer token as in production (synthetic test keys), and intake
# seals every document it stores: both are in the measured path.
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
export AUTH_JWKS_FILE="$ROOT/tests/fixtures/auth/jwks.json" AUTH_ISSUER="https://auth.rxbridge.test/" AUTH_AUDIENCE=rxbridge
# The load client speaks plaintext gRPC: TLS is not in the measured path (yet).
export TLS_INSECURE_PLAINTEXT=true
export DOCUMENT_KEYRING='{"current": "bench-1", "keys": {"bench-1": "YmVuY2gtb25seS1kb2N1bWVudC1rZXktMzItYnl0ZXM="}}'
export RXBRIDGE_TOKEN=$("$RXB" token --key "$ROOT/tests/fixtures/auth/rs256-test-key.pem" --clinic loadtest)
"$BIN" migrate --target all >/dev/null

# Submissions come for LOAD_MEMBERS different people (a clinic chain's day, not three patients
# over and over); payer-sim is told about each of them.
MEMBERS=${LOAD_MEMBERS:-300}
"$BIN" loadtest --members "$MEMBERS" --plans-template "$PLANS" --write-plans "$OUT/plans.json"
"$BIN" payer-sim --config "$OUT/plans.json" --addr 127.0.0.1:0 >"$OUT/payer-sim.log" 2>&1 &
pids+=($!)
SIM=$(listening "$OUT/payer-sim.log" payer-sim)
curl -fsS -X POST "http://$SIM/admin/faults" -H 'content-type: application/json' \
  -d "{\"mode\":\"none\",\"latency_ms\":$PAYER_LATENCY_MS}" >/dev/null
export BENEFITS_PAYERS="[{\"payer_id\":\"SIMPAYER\",\"name\":\"SIMULATED HEALTH PLAN\",\"endpoint\":\"http://$SIM/core/realtime\"}]"
export CLAIMS_CLEARINGHOUSE_URL="http://$SIM/core/batch"

declare -A ADDR
declare -A PID
export SHUTDOWN_DRAIN_SECONDS=2
# benefits runs at most half its pool's handlers at once (each holds its transaction's
# connection and may take one more); a larger pool lets more eligibility checks run together.
BENEFITS_POOL=${LOAD_BENEFITS_DB_CONNECTIONS:-34}
for t in intake benefits claims; do
  start=$(now_ms)
  pool=$DB_MAX_CONNECTIONS
  if [ "$t" = benefits ]; then pool=$BENEFITS_POOL; fi
  DB_MAX_CONNECTIONS=$pool "$BIN" serve --target "$t" >"$OUT/$t.log" 2>&1 &
  PID[$t]=$!
  pids+=($!)
  ADDR[$t]=$(listening "$OUT/$t.log" "$t grpc")
  printf '%s\t%s\n' "$t" "$(( $(now_ms) - start ))" >>"$OUT/startup.tsv"
done

"$BIN" loadtest --intake "http://${ADDR[intake]}" --benefits "http://${ADDR[benefits]}" --claims "http://${ADDR[claims]}" \
  --clients "$CLIENTS" --duration "$DURATION" --rate "$RATE" --members "$MEMBERS" --mix "$MIX" --amqp-url "$AMQP" --namespace "$NS" \
  --pid "intake=${PID[intake]}" --pid "benefits=${PID[benefits]}" --pid "claims=${PID[claims]}" \
  --json "$OUT/loadtest.json"
# Submissions alone, as fast as they go: a clinic chain's morning batch of faxes or an EHR
# replaying a day of referrals, with no front desk beside it. Every request is a prescription
# here, as in the ceiling's count of commits per prescription.
if [ "${LOAD_BURST_SECONDS:-20}" != 0 ]; then
  "$BIN" loadtest --intake "http://${ADDR[intake]}" --benefits "http://${ADDR[benefits]}" --claims "http://${ADDR[claims]}" \
    --clients "$CLIENTS" --duration "${LOAD_BURST_SECONDS:-20}" --rate 0 --members "$MEMBERS" --mix "${LOAD_BURST_MIX:-40,20,0,0,0}" --amqp-url "$AMQP" --namespace "$NS" \
    --pid "intake=${PID[intake]}" --pid "benefits=${PID[benefits]}" --pid "claims=${PID[claims]}" \
    --json "$OUT/loadtest-burst.json"
fi
# The same mix at a fixed pace well below saturation: what the front desk waits for on a busy
# day, rather than in the queue of a machine driven flat out. 40 s gives the rarest request
# (uncached checks, 5 % of the mix) ~200 samples, so its p99 is not just the slowest one or two.
"$BIN" loadtest --intake "http://${ADDR[intake]}" --benefits "http://${ADDR[benefits]}" --claims "http://${ADDR[claims]}" \
  --clients "$CLIENTS" --duration "${LOAD_PACED_SECONDS:-40}" --rate "${LOAD_PACED_RATE:-100}" --members "$MEMBERS" --mix "$MIX" --amqp-url "$AMQP" --namespace "$NS" \
  --pid "intake=${PID[intake]}" --pid "benefits=${PID[benefits]}" --pid "claims=${PID[claims]}" \
  --json "$OUT/loadtest-paced.json"
stop_all

"$RXB" ceilings --database-url "postgres://postgres@$PG/$DB" --amqp-url "$AMQP" --concurrency "$CLIENTS" \
  --seconds "${CEILING_SECONDS:-5}" --json "$OUT/ceilings.json" >/dev/null
echo "load.sh: load run and ceilings written to $OUT"
