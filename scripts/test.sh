#!/usr/bin/env bash
# The test command: every project against the newest nats-server (NestJS 12), then the
# transport's integration tests again against the oldest server we support (2.9.10), and
# again on NestJS 11; then a check that no nats-server started by the tests is still running.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export NX_DAEMON=false

bash scripts/install-nats-server.sh >/dev/null
if [ ! -d test/compat/nest11-cjs/node_modules/@nest-jetstream/transport ] || [ ! -d test/compat/nest12-esm/node_modules/@nest-jetstream/transport ]; then
  npx nx run-many -t build --outputStyle=static >/dev/null && bash scripts/prepare-compat.sh
fi

echo "== tests against the newest nats-server ($(.cache/nats-server/bin/nats-server-newest --version))"
NATS_SERVER_VERSION=newest npx jest --ci "$@"
echo "== transport integration tests against the oldest nats-server ($(.cache/nats-server/bin/nats-server-oldest --version))"
NATS_SERVER_VERSION=oldest npx jest --ci --selectProjects transport --testPathPatterns 'integration' "$@"

echo "== transport integration tests on NestJS 11 (CommonJS packages from test/compat/nest11-cjs)"
NEST_COMPAT=11 NATS_SERVER_VERSION=newest npx jest --ci --selectProjects transport --testPathPatterns 'integration' "$@"

# Every server the launcher starts reads a config from a nest-jetstream-nats-* temp dir (whatever
# binary NATS_SERVER_BIN names). Zombies (state Z) are already dead; anything else is a leak.
leaked=$(ps -eo pid=,stat=,comm=,args= | awk '$2 !~ /^Z/ && $3 ~ /^nats-server/ && $0 ~ /nest-jetstream-nats-/ { print }' || true)
if [ -n "$leaked" ]; then
  echo "nats-server processes left running after the tests:" >&2
  echo "$leaked" >&2
  exit 1
fi
echo "== no nats-server left running"
