#!/usr/bin/env bash
# One command on a fresh clone: npm packages, the nats-server binaries, Node 22 and 24 (for the
# test passes on those runtimes), and a build.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# `npm install` honours package-lock.json; `npm ci` rejects the lock npm 11 writes here (it drops
# other platforms' optional binaries), so it cannot be used.
npm install --no-audit --no-fund
bash scripts/install-nats-server.sh
bash scripts/install-promtool.sh
bash scripts/install-chromium.sh
bash scripts/install-node.sh
npx nx run-many -t build --outputStyle=static
# The compat apps (NestJS 11 CommonJS, NestJS 12 ESM) get the packed build, as users do.
bash scripts/prepare-compat.sh
