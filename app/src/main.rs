fn main() {
    // Error values from tendermint-proto carry an eyre tracer that captures a stack backtrace
    // whenever RUST_BACKTRACE is set. Every malformed IBC message a peer sends would then cost a
    // backtrace capture in CheckTx. Library backtraces are off unless asked for by name;
    // RUST_BACKTRACE still gives panics theirs. Set before any thread starts.
    if std::env::var_os("RUST_LIB_BACKTRACE").is_none() {
        std::env::set_var("RUST_LIB_BACKTRACE", "0");
    }
    if let Err(err) = estuary_app::cli::run() {
        eprintln!("Error: {}", estuary_client::errors::describe(&err));
        std::process::exit(1);
    }
}
