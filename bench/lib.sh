# Measuring helpers shared by bench/compare and bench/scale (sourced).

# cpu_seconds <pid>: user+system CPU seconds the process has used so far (0 if it is gone).
cpu_seconds() {
  awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f\n", ($14 + $15) / hz }' "/proc/$1/stat" 2>/dev/null || echo 0
}

# abci_seconds <metrics url> <method>: CometBFT's cumulative seconds in one ABCI method and the
# number of calls ("sum count"), from its Prometheus endpoint; the same instrument for an app
# behind the socket (Estuary) and an app in CometBFT's process (simd).
abci_seconds() {
  curl -sf "$1" | awk -v m="method=\"$2\"" '
    /^cometbft_abci_connection_method_timing_seconds_sum/ && index($0, m) { s += $2 }
    /^cometbft_abci_connection_method_timing_seconds_count/ && index($0, m) { c += $2 }
    END { print s + 0, c + 0 }'
}
