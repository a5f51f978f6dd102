#!/usr/bin/env bash
# Installs the built @nest-jetstream/transport, packed as users get it, into two small apps:
# a CommonJS NestJS 11 app and an ES-module NestJS 12 app (test/compat/*). Run after the build.
# Skips the pack and the installs when the build has not changed since the last install.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

apps=(test/compat/nest11-cjs test/compat/nest12-esm)
# The build, and the apps' own dependencies (a dependency added to an app reinstalls it).
build_hash="$( (cd packages/transport && find dist package.json README.md CHANGELOG.md -type f -print0 | sort -z | xargs -0 sha256sum; sha256sum ../../test/compat/*/package.json) | sha256sum | cut -d' ' -f1)"
stamp=node_modules/.nest-jetstream-transport-build
current=true
for app in "${apps[@]}"; do
  if [ ! -d "$app/node_modules/@nest-jetstream/transport" ] || [ "$(cat "$app/$stamp" 2>/dev/null)" != "$build_hash" ]; then current=false; fi
done
if $current; then
  echo "prepare-compat: test/compat apps already have this build (${build_hash:0:12}); nothing to do"
  exit 0
fi

pack_dir=.cache/packs
bash scripts/pack-packages.sh
tarball="$(cd "$pack_dir" && ls nest-jetstream-transport-*.tgz)"
for app in "${apps[@]}"; do
  (cd "$app" && npm install --no-audit --no-fund --no-save --no-package-lock --silent "../../../$pack_dir/$tarball" && echo "$build_hash" > "$stamp")
done
echo "prepare-compat: installed $tarball (build ${build_hash:0:12}) into ${apps[*]}"
