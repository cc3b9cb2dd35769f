fn main() {
    if let Err(err) = estuary_app::cli::run() {
        eprintln!("Error: {err:#}");
        std::process::exit(1);
    }
}
