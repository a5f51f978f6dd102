#!/usr/bin/env bash
# One command on a fresh clone: npm packages, the nats-server binaries, and a build.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if [ -f package-lock.json ]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi
bash scripts/install-nats-server.sh
npx nx run-many -t build --outputStyle=static
