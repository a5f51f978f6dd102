#!/usr/bin/env bash
# Installs stress-ng from Debian's packages for scripts/stress-test.sh (npm test under CPU
# contention). stress-ng needs a dozen shared libraries, so unlike nats-server and promtool it is
# installed with the machine's apt (root), not unpacked into .cache. Idempotent.
set -euo pipefail
if command -v stress-ng >/dev/null 2>&1; then
  echo "stress-ng: $(stress-ng --version 2>&1 | head -n 1)"
  exit 0
fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "install-stress-ng: needs root and apt-get (Debian); install stress-ng yourself." >&2
  exit 1
fi
echo "install-stress-ng: apt-get install stress-ng (Debian)"
DEBIAN_FRONTEND=noninteractive apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends stress-ng >/dev/null
echo "stress-ng: $(stress-ng --version 2>&1 | head -n 1)"
