#!/usr/bin/env bash
# Puts two nats-server binaries under .cache/nats-server/ without touching the
# machine's apt configuration and without installing any package:
#   newest: the version Debian sid ships
#   oldest: Debian bookworm's version (the oldest nats-server we support)
# Idempotent: a second run downloads nothing. Override with NATS_SERVER_BIN.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cache="${NATS_CACHE_DIR:-$root/.cache/nats-server}"
bin_dir="$cache/bin"
mkdir -p "$bin_dir"

have() { [ -x "$bin_dir/nats-server-$1" ] && "$bin_dir/nats-server-$1" --version >/dev/null 2>&1; }

if have newest && have oldest; then
  echo "nats-server: cached $("$bin_dir/nats-server-newest" --version) (newest), $("$bin_dir/nats-server-oldest" --version) (oldest) in $bin_dir"
  exit 0
fi

# shellcheck source=lib/debian-apt.sh
source "$root/scripts/lib/debian-apt.sh"
arch="$(dpkg --print-architecture 2>/dev/null || echo unknown)"
echo "install-nats-server: reading Debian's package lists (sid, bookworm) into $cache/apt"
if ! debian_apt_setup "$cache/apt" sid bookworm; then
  cat >&2 <<MSG
install-nats-server: cannot fetch nats-server from Debian's archive here. Install nats-server yourself
(https://docs.nats.io/running-a-nats-service/introduction/installation) and point the tests at it
with NATS_SERVER_BIN=/path/to/nats-server.
MSG
  exit 1
fi

# madison prints: nats-server | 2.15.1-1 | http://... sid/main amd64 Packages
version_in() {
  apt-cache "${apt_opts[@]}" madison nats-server | awk -F'|' -v s=" $1/" 'index($3, s) { gsub(/ /, "", $2); print $2; exit }'
}

fetch() { # $1 = newest|oldest, $2 = suite
  local label=$1 suite=$2 version work
  if have "$label"; then return 0; fi
  version="$(version_in "$suite")"
  if [ -z "$version" ]; then
    echo "install-nats-server: Debian $suite has no nats-server package for $arch; set NATS_SERVER_BIN instead." >&2
    exit 1
  fi
  work="$(mktemp -d)"
  (cd "$work" && apt-get "${apt_opts[@]}" -qq download "nats-server=$version")
  dpkg-deb -x "$work"/nats-server_*.deb "$work/x"
  local found
  found="$(find "$work/x" -type f -name nats-server -perm -u+x | head -n 1)"
  if [ -z "$found" ]; then
    echo "install-nats-server: the nats-server $version package holds no nats-server binary; set NATS_SERVER_BIN instead." >&2
    exit 1
  fi
  install -m 0755 "$found" "$bin_dir/nats-server-$label"
  rm -rf "$work"
  echo "install-nats-server: $label = $("$bin_dir/nats-server-$label" --version) (Debian $suite $version)"
}

fetch newest sid
fetch oldest bookworm
