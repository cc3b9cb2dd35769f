# Shared settings for Estuary's scripts. Source it; do not run it.
# Pinned tool versions and the cache that survives between checkouts (CI reuses it).
ESTUARY_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
COMETBFT_VERSION="v0.38.26"
ESTUARY_CACHE="${ESTUARY_CACHE:-$HOME/.cache/estuary}"
ESTUARY_BIN_DIR="$ESTUARY_ROOT/.bin"
export ESTUARY_COMETBFT="${ESTUARY_COMETBFT:-$ESTUARY_BIN_DIR/cometbft}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ESTUARY_ROOT/target}"
ESTUARYD="${ESTUARYD:-$CARGO_TARGET_DIR/debug/estuaryd}"

log() { printf '\033[1m[estuary]\033[0m %s\n' "$*" >&2; }
die() { printf '\033[31m[estuary] error:\033[0m %s\n' "$*" >&2; exit 1; }
