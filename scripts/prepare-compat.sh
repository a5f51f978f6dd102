#!/usr/bin/env bash
# Installs the built @nest-jetstream/transport, packed as users get it, into two small apps:
# a CommonJS NestJS 11 app and an ES-module NestJS 12 app (test/compat/*). Run after the build.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

pack_dir=.cache/packs
rm -rf "$pack_dir" && mkdir -p "$pack_dir"
tarball="$(npm pack --silent --pack-destination "$pack_dir" -w @nest-jetstream/transport | tail -n 1)"
for app in test/compat/nest11-cjs test/compat/nest12-esm; do
  (cd "$app" && npm install --no-audit --no-fund --no-save --no-package-lock --silent "../../../$pack_dir/$tarball")
done
echo "prepare-compat: installed $tarball into test/compat/nest11-cjs and test/compat/nest12-esm"
