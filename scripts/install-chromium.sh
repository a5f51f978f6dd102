#!/usr/bin/env bash
# Debian's chromium, for the browser test of the examples' AsyncAPI page (test/asyncapi-page.e2e-spec.ts,
# driven by playwright-core). Idempotent: nothing to do when a chromium is on PATH or CHROMIUM_BIN
# names one. Installs the Debian package with apt (as root, or through sudo without a password).
set -euo pipefail

if [ -n "${CHROMIUM_BIN:-}" ]; then
  echo "chromium: using CHROMIUM_BIN=$CHROMIUM_BIN"
  exit 0
fi
for name in chromium chromium-browser; do
  if command -v "$name" >/dev/null 2>&1; then
    echo "chromium: $("$name" --version 2>/dev/null | head -n 1) at $(command -v "$name")"
    exit 0
  fi
done
if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-chromium: no apt-get here: install Chromium yourself and set CHROMIUM_BIN to its binary." >&2
  exit 1
fi
run_root=()
if [ "$(id -u)" -ne 0 ]; then
  if sudo -n true 2>/dev/null; then run_root=(sudo -n); else
    echo "install-chromium: installing Debian's chromium needs root: run 'sudo apt-get install -y chromium', or set CHROMIUM_BIN." >&2
    exit 1
  fi
fi
echo "install-chromium: apt-get install chromium (Debian's package)"
"${run_root[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${run_root[@]}" apt-get install -y -qq --no-install-recommends chromium >/dev/null
echo "chromium: $(chromium --version 2>/dev/null | head -n 1)"
