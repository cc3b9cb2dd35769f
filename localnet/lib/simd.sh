# ibc-go's simd (v8.8.0, or v11.2.0 with `--with-simd v11`; both built by scripts/build-simd) as a
# localnet chain. Sourced by localnet/up.
# One validator, the same CometBFT block settings as an Estuary node (timeout_commit, mempool),
# minimum gas price 0, every port remapped to the chain's port block on loopback (CometBFT's
# Prometheus metrics at base+5, as on an Estuary node).
if [ "${SIMD_VERSION:-v8}" = v11 ]; then
  SIMD="${ESTUARY_SIMD:-$ESTUARY_BIN_DIR/simd-v11}"
else
  SIMD="${ESTUARY_SIMD:-$ESTUARY_BIN_DIR/simd}"
fi

simd_cmd() { "$SIMD" --home "$SIMD_HOME" "$@"; }

# init_simd <home> <chain-id> <base-port> <block-time> <key-dir>
# <key-dir> holds <name>.mnemonic files: the same keys (alice, bob, relayer) as on Estuary.
init_simd() {
  SIMD_HOME="$1"; local id="$2" base="$3" block="$4" keys="$5"
  [ -x "$SIMD" ] || die "simd is not built: run scripts/build-simd"
  simd_cmd init node0 --chain-id "$id" --default-denom stake >/dev/null 2>&1
  simd_cmd keys add validator --keyring-backend test >/dev/null 2>&1
  for k in alice bob relayer relayer2; do
    simd_cmd keys add "$k" --recover --keyring-backend test <"$keys/$k.mnemonic" >/dev/null 2>&1
    simd_cmd genesis add-genesis-account "$k" 100000000000stake --keyring-backend test >/dev/null
  done
  simd_cmd genesis add-genesis-account validator 100000000000stake --keyring-backend test >/dev/null
  simd_cmd genesis gentx validator 1000000000stake --chain-id "$id" --keyring-backend test >/dev/null 2>&1
  simd_cmd genesis collect-gentxs >/dev/null 2>&1
  local cfg="$SIMD_HOME/config/config.toml" app="$SIMD_HOME/config/app.toml"
  sed -i \
    -e "s|^proxy_app = .*|proxy_app = \"tcp://127.0.0.1:$((base + 2))\"|" \
    -e "/^\[rpc\]/,/^\[/ s|^laddr = .*|laddr = \"tcp://127.0.0.1:$((base + 1))\"|" \
    -e "/^\[p2p\]/,/^\[/ s|^laddr = .*|laddr = \"tcp://127.0.0.1:$base\"|" \
    -e "s|^pprof_laddr = .*|pprof_laddr = \"\"|" \
    -e "s|^timeout_propose = .*|timeout_propose = \"2s\"|" \
    -e "s|^timeout_commit = .*|timeout_commit = \"$block\"|" \
    -e "s|^size = 5000|size = 20000|" \
    -e "s|^cache_size = 10000|cache_size = 50000|" \
    -e "s|^addr_book_strict = .*|addr_book_strict = false|" \
    -e "s|^allow_duplicate_ip = .*|allow_duplicate_ip = true|" \
    -e "s|^prometheus = .*|prometheus = true|" \
    -e "s|^prometheus_listen_addr = .*|prometheus_listen_addr = \"127.0.0.1:$((base + 5))\"|" \
    "$cfg"
  sed -i \
    -e "s|^minimum-gas-prices = .*|minimum-gas-prices = \"0stake\"|" \
    -e "/^\[api\]/,/^\[/ s|^enable = .*|enable = true|" \
    -e "/^\[api\]/,/^\[/ s|^address = .*|address = \"tcp://127.0.0.1:$((base + 6))\"|" \
    -e "/^\[grpc\]/,/^\[/ s|^address = .*|address = \"127.0.0.1:$((base + 3))\"|" \
    -e "/^\[grpc-web\]/,/^\[/ s|^enable = .*|enable = false|" \
    "$app"
}

# start_simd <home> <tag>: runs simd (CometBFT in process) in the background, pid in $DIR/<tag>.simd.pid
start_simd() {
  "$SIMD" --home "$1" start >"$DIR/$2.simd.log" 2>&1 & echo $! >"$DIR/$2.simd.pid"
}
