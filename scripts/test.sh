#!/usr/bin/env bash
# The test command, three passes on three Node.js majors:
#   pass 0, the machine's Node (20): every project against the newest nats-server (NestJS 12);
#   pass 1, Node 22: the transport's integration tests against the oldest server we support
#     (2.9.10), and the compat apps (the packed build in a NestJS 11 CommonJS and a NestJS 12 ESM app);
#   pass 2, Node 24: the transport's integration tests on NestJS 11, and the compat apps.
# So every runtime runs the transport's integration tests and the compat apps. Node 22 and 24 come
# from scripts/install-node.sh (.cache/node), or from NODE22_BIN / NODE24_BIN.
# Then a check that no nats-server started by the tests is still running and that none left its
# temp dir behind.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export NX_DAEMON=false

bash scripts/install-nats-server.sh >/dev/null
bash scripts/install-promtool.sh >/dev/null
bash scripts/install-chromium.sh >/dev/null
bash scripts/install-node.sh >/dev/null
node20="$(command -v node)"
node22="${NODE22_BIN:-${NODE_CACHE_DIR:-$PWD/.cache/node}/22/bin/node}"
node24="${NODE24_BIN:-${NODE_CACHE_DIR:-$PWD/.cache/node}/24/bin/node}"
# The compat apps test the packed build: bring it up to date with the sources (Nx skips an
# unchanged build, prepare-compat an unchanged pack), so they never test a stale one.
npx nx run-many -t build --outputStyle=static >/dev/null
bash scripts/prepare-compat.sh
# Both packages packed once (.cache/packs), for the packaging tests (publint, attw, README links).
bash scripts/pack-packages.sh

# The servers and temp dirs of this run live under a temp root of its own, so the leak checks
# below see only what this run started (not the servers of another checkout's tests beside it).
temp_root=$(mktemp -d "${TMPDIR:-/tmp}/nest-jetstream-test-XXXXXX")
export TMPDIR="$temp_root"
before_dirs=$(find "$temp_root" -maxdepth 1 -name 'nest-jetstream-nats-*' 2>/dev/null | sort || true)

# The three passes run side by side: most of a test's time is spent waiting on servers and
# timers, not on the CPU, so on a 2-core machine this takes about half the time of one after the
# other. Each pass writes its own log, printed whole, in order, once all are done.
# NEST_JETSTREAM_TEST_SERIAL=1 runs them one after the other instead (the output then streams).
logs="$temp_root/logs"
mkdir -p "$logs"
pass_node=("$node20" "$node22" "$node24")
pass_names=(
  "Node $("$node20" --version): tests against the newest nats-server ($(.cache/nats-server/bin/nats-server-newest --version))"
  "Node $("$node22" --version): transport integration tests and the compat apps against the oldest nats-server ($(.cache/nats-server/bin/nats-server-oldest --version))"
  "Node $("$node24" --version): transport integration tests on NestJS 11 (CommonJS packages from test/compat/nest11-cjs) and the compat apps"
)
# The transport's integration tests and the compat apps (test/compat.e2e-spec.ts).
integration=(--selectProjects transport e2e --testPathPatterns 'packages/transport/.*integration|test/compat\.e2e')
# Run in pass 0 only: the leader guard's spec pins busy loops to one CPU for a slowed server (three
# passes at once would leave the other specs one core), and its logic does not depend on the server
# version or the Nest major.
once=(--testPathIgnorePatterns '/node_modules/' 'connection/leader-guard\.integration')
pass() {
  local node=${pass_node[$1]} flags=()
  # The Node this pass runs on comes first on PATH too, so whatever a test starts (process.execPath
  # or a plain `node`) runs on it. A native addon (better-sqlite3) is built per Node ABI.
  export PATH="$(dirname "$node"):$PATH"
  echo "== pass $1 runs on node $("$node" --version) ($node)"
  local addon
  addon="$(dirname "$(dirname "$node")")/better-sqlite3"
  if [ "$1" != 0 ] && [ -d "$addon" ]; then export BETTER_SQLITE3_DIR="$addon"; fi
  case $1 in
    0) export NATS_SERVER_VERSION=newest; flags=(--maxWorkers=2) ;;
    1) export NATS_SERVER_VERSION=oldest; flags=(--maxWorkers=1 "${integration[@]}" "${once[@]}") ;;
    2) export NEST_COMPAT=11 NATS_SERVER_VERSION=newest; flags=(--maxWorkers=1 "${integration[@]}" "${once[@]}") ;;
  esac
  "$node" node_modules/jest/bin/jest.js --ci "${flags[@]}" "${@:2}"
}
failed=0
if [ "${NEST_JETSTREAM_TEST_SERIAL:-}" = 1 ]; then
  for i in 0 1 2; do
    echo "== ${pass_names[$i]}"
    (pass "$i" "$@") || failed=1
  done
else
  pids=()
  for i in 0 1 2; do
    (pass "$i" "$@") >"$logs/$i.log" 2>&1 &
    pids+=("$!")
  done
  rcs=()
  for i in 0 1 2; do
    if wait "${pids[$i]}"; then rcs+=(0); else rcs+=($?); failed=1; fi
  done
  for i in 0 1 2; do
    echo "== ${pass_names[$i]}"
    cat "$logs/$i.log"
    echo "== exit code ${rcs[$i]}: ${pass_names[$i]}"
  done
fi

# Every server the launcher starts reads a config from a nest-jetstream-nats-* temp dir (whatever
# binary NATS_SERVER_BIN names). Zombies (state Z) are already dead; anything else is a leak.
leaked=$(ps -eo pid=,stat=,comm=,args= | awk -v root="$temp_root/" '$2 !~ /^Z/ && $3 ~ /^nats-server/ && index($0, root) > 0 && $0 ~ /nest-jetstream-nats-/ { print }' || true)
if [ -n "$leaked" ]; then
  echo "nats-server processes left running after the tests:" >&2
  echo "$leaked" >&2
  exit 1
fi
echo "== no nats-server left running"

left_dirs=$(comm -13 <(echo "$before_dirs") <(find "$temp_root" -maxdepth 1 -name 'nest-jetstream-nats-*' 2>/dev/null | sort) | sed '/^$/d')
if [ -n "$left_dirs" ]; then
  echo "nats-server temp dirs left behind by the tests:" >&2
  echo "$left_dirs" >&2
  exit 1
fi
echo "== no nats-server temp dir left behind"
if [ "$failed" != 0 ]; then
  echo "== a test pass failed (see its log above)" >&2
  exit 1
fi
rm -rf "$temp_root"
