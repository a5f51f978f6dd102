#!/usr/bin/env bash
# Puts promtool (from Debian bookworm's prometheus package) under .cache/promtool/, the same way
# install-nats-server.sh fetches nats-server: apt state of our own, the machine's apt
# configuration untouched, no package installed. Idempotent. Override with PROMTOOL_BIN.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cache="$root/.cache/promtool"
bin="$cache/promtool"
mkdir -p "$cache"

if [ -n "${PROMTOOL_BIN:-}" ]; then
  echo "promtool: using PROMTOOL_BIN=$PROMTOOL_BIN"
  exit 0
fi
if [ -x "$bin" ] && "$bin" --version >/dev/null 2>&1; then
  echo "promtool: cached $("$bin" --version 2>&1 | head -n 1) in $cache"
  exit 0
fi
# shellcheck source=lib/debian-apt.sh
source "$root/scripts/lib/debian-apt.sh"
echo "install-promtool: reading Debian bookworm's package lists into $cache/apt"
debian_apt_setup "$cache/apt" bookworm || { echo "install-promtool: install Prometheus's promtool yourself and set PROMTOOL_BIN." >&2; exit 1; }
work="$(mktemp -d)"
(cd "$work" && apt-get "${apt_opts[@]}" -qq download prometheus)
dpkg-deb -x "$work"/prometheus_*.deb "$work/x"
found="$(find "$work/x" -type f -name promtool -perm -u+x | head -n 1)"
[ -n "$found" ] || { echo "install-promtool: the prometheus package holds no promtool; set PROMTOOL_BIN." >&2; exit 1; }
install -m 0755 "$found" "$bin"
rm -rf "$work" "$cache/apt/archives"
echo "install-promtool: $("$bin" --version 2>&1 | head -n 1)"
