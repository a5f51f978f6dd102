#!/usr/bin/env bash
# Packs @nest-jetstream/transport and @nest-jetstream/testing as npm would publish them, into
# .cache/packs/ (one `npm pack` for both, reused by the compat apps and the packaging tests).
# Run after the build; skips the pack when the packed files have not changed since the last one.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

pack_dir=.cache/packs
stamp="$pack_dir/.packed"
packed_hash="$(for pkg in packages/transport packages/testing; do
  (cd "$pkg" && find dist package.json README.md CHANGELOG.md -type f -print0 | sort -z | xargs -0 sha256sum)
done | sha256sum | cut -d' ' -f1)"
if [ "$(cat "$stamp" 2>/dev/null)" = "$packed_hash" ] && [ "$(find "$pack_dir" -maxdepth 1 -name '*.tgz' | wc -l)" -eq 2 ]; then
  exit 0
fi
rm -rf "$pack_dir" && mkdir -p "$pack_dir"
npm pack --silent --pack-destination "$pack_dir" -w @nest-jetstream/transport -w @nest-jetstream/testing >/dev/null
echo "$packed_hash" > "$stamp"
echo "pack-packages: $(cd "$pack_dir" && ls *.tgz | tr '\n' ' ')(${packed_hash:0:12})"
