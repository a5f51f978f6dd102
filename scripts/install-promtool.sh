#!/usr/bin/env bash
# Puts promtool (from Debian bookworm's prometheus package) under .cache/promtool/, the same way
# install-nats-server.sh fetches nats-server: apt state of our own, the machine's apt
# configuration untouched, no package installed. Idempotent. Override with PROMTOOL_BIN.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cache="$root/.cache/promtool"
bin="$cache/promtool"
mkdir -p "$cache"

if [ -x "$bin" ] && "$bin" --version >/dev/null 2>&1; then
  echo "promtool: cached $("$bin" --version 2>&1 | head -n 1) in $cache"
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1 || ! command -v dpkg-deb >/dev/null 2>&1; then
  echo "install-promtool: apt-get and dpkg-deb are needed to fetch promtool from Debian's archive; install Prometheus's promtool yourself and set PROMTOOL_BIN." >&2
  exit 1
fi
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
[ -f "$keyring" ] || { echo "install-promtool: $keyring is missing (package debian-archive-keyring); set PROMTOOL_BIN." >&2; exit 1; }
mirror="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
arch="$(dpkg --print-architecture)"

apt_dir="$cache/apt"
mkdir -p "$apt_dir/lists/partial" "$apt_dir/archives/partial" "$apt_dir/etc/preferences.d"
: > "$apt_dir/status"
echo "deb [arch=$arch signed-by=$keyring] $mirror bookworm main" > "$apt_dir/etc/sources.list"
apt_opts=(
  -o "Dir::Etc::SourceList=$apt_dir/etc/sources.list"
  -o "Dir::Etc::SourceParts=/dev/null"
  -o "Dir::Etc::Preferences=/dev/null"
  -o "Dir::Etc::PreferencesParts=$apt_dir/etc/preferences.d"
  -o "Dir::State=$apt_dir"
  -o "Dir::State::Lists=$apt_dir/lists"
  -o "Dir::State::status=$apt_dir/status"
  -o "Dir::Cache=$apt_dir"
  -o "Dir::Cache::archives=$apt_dir/archives"
  -o "APT::Architecture=$arch"
  -o "Debug::NoLocking=1"
  -o "APT::Sandbox::User=root"
)
echo "install-promtool: reading Debian bookworm's package lists into $apt_dir"
apt-get "${apt_opts[@]}" -qq update
work="$(mktemp -d)"
(cd "$work" && apt-get "${apt_opts[@]}" -qq download prometheus)
dpkg-deb -x "$work"/prometheus_*.deb "$work/x"
found="$(find "$work/x" -type f -name promtool -perm -u+x | head -n 1)"
[ -n "$found" ] || { echo "install-promtool: the prometheus package holds no promtool; set PROMTOOL_BIN." >&2; exit 1; }
install -m 0755 "$found" "$bin"
rm -rf "$work" "$apt_dir/archives"
echo "install-promtool: $("$bin" --version 2>&1 | head -n 1)"
