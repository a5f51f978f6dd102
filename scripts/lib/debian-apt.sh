# Sourced by the install-*.sh scripts: apt state of our own under $1, so that downloading a package
# from Debian's archive never touches the machine's apt sources, lists or locks, and installs
# nothing. Sets apt_opts for apt-get / apt-cache. $2...: the suites to read (sid, bookworm).
debian_apt_setup() {
  local apt_dir=$1
  shift
  if ! command -v apt-get >/dev/null 2>&1 || ! command -v dpkg-deb >/dev/null 2>&1; then
    echo "apt-get and dpkg-deb are needed to fetch from Debian's archive, and this machine has neither." >&2
    return 1
  fi
  local keyring=/usr/share/keyrings/debian-archive-keyring.gpg
  if [ ! -f "$keyring" ]; then
    echo "$keyring is missing (package debian-archive-keyring)." >&2
    return 1
  fi
  local mirror="${DEBIAN_MIRROR:-http://deb.debian.org/debian}" arch suite
  arch="$(dpkg --print-architecture)"
  mkdir -p "$apt_dir/lists/partial" "$apt_dir/archives/partial" "$apt_dir/etc/preferences.d"
  : > "$apt_dir/status"
  : > "$apt_dir/etc/sources.list"
  for suite in "$@"; do echo "deb [arch=$arch signed-by=$keyring] $mirror $suite main" >> "$apt_dir/etc/sources.list"; done
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
  apt-get "${apt_opts[@]}" -qq update
}
