#!/usr/bin/env bash
# The demo, on a fresh clone or not: sets everything up (idempotent), then runs the orders and
# inventory services against a nats-server it starts itself. `npm run demo -- --keep` keeps them up.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
node -r ./scripts/register.cjs examples/demo/run-demo.ts "$@"
