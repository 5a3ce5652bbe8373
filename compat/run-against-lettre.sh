#!/usr/bin/env bash
# Runs this compatibility suite against REAL lettre 0.11.23 instead of
# letterhead: copies compat/ to a scratch dir, swaps the one renamed dependency
# line for `version = "=0.11.23"`, and runs cargo there. A test that fails here
# encodes something that is not lettre's behaviour; a test that passes here and
# fails in compat/ is a drop-in incompatibility in letterhead.
#
# usage: compat/run-against-lettre.sh [cargo args...]   (default: test)
# env:   COMPAT_SCRATCH (default /tmp/compat-dev), CARGO_TARGET_DIR (default /tmp/compat-target)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
scratch="${COMPAT_SCRATCH:-/tmp/compat-dev}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/tmp/compat-target}"
mkdir -p "$scratch"
# Only ever clear a directory this script made (marker file) or an empty one.
if [ ! -e "$scratch/.compat-scratch" ] && [ -n "$(ls -A "$scratch")" ]; then
    echo "refusing to reuse non-empty $scratch (no .compat-scratch marker)" >&2
    exit 1
fi
# Copy sources, keep the scratch Cargo.lock (and nothing else stale).
find "$scratch" -mindepth 1 -maxdepth 1 ! -name Cargo.lock ! -name asyncstd-examples ! -name .compat-scratch -exec rm -rf {} +
mkdir -p "$scratch/asyncstd-examples"
find "$scratch/asyncstd-examples" -mindepth 1 -maxdepth 1 ! -name Cargo.lock -exec rm -rf {} +
touch "$scratch/.compat-scratch"
(cd "$here" && tar --exclude=./target --exclude=./Cargo.lock --exclude=./asyncstd-examples/Cargo.lock \
    --exclude=./asyncstd-examples/target -cf - .) | (cd "$scratch" && tar -xmf -)  # -m: fresh mtimes, so cargo never reuses a stale build
for toml in "$scratch/Cargo.toml" "$scratch/asyncstd-examples/Cargo.toml"; do
    sed -i -E 's/package = "letterhead", path = "[^"]*"/version = "=0.11.23"/' "$toml"
    grep -q 'version = "=0.11.23"' "$toml" || { echo "dependency swap failed in $toml" >&2; exit 1; }
done
cd "$scratch"
if [ "$#" -eq 0 ]; then set -- test; fi
exec cargo "$@"
