//! REST (LCD) read load: `concurrency` clients issue GETs of the given paths, in turn, against
//! one API server for a fixed time, each request waiting for its answer. Reports requests/s,
//! latency p50/p99 and non-200 answers: the same load against Estuary's gateway and simd's
//! (bench/compare `rest`).

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use serde::Serialize;
use tokio::sync::Mutex;

#[derive(clap::Args)]
pub struct RestArgs {
    /// The REST API's base URL, e.g. `http://127.0.0.1:1317`.
    #[arg(long)]
    url: String,
    /// Paths to request, in turn (repeat the flag).
    #[arg(long = "path", required = true)]
    paths: Vec<String>,
    /// Requests in flight at once.
    #[arg(long, default_value_t = 8)]
    concurrency: usize,
    /// How long to load, in seconds.
    #[arg(long, default_value_t = 10.0)]
    seconds: f64,
    #[arg(long)]
    json: bool,
}

#[derive(Serialize)]
struct Report {
    url: String,
    paths: Vec<String>,
    concurrency: usize,
    requests: usize,
    requests_per_sec: f64,
    latency_p50_ms: f64,
    latency_p99_ms: f64,
    /// Answers other than HTTP 200 (a route that is missing or failing counts here).
    not_ok: usize,
}

pub async fn run(args: RestArgs) -> Result<()> {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .pool_max_idle_per_host(args.concurrency)
        .build()?;
    // Each path answers once before the clock starts: a missing route is an error, not a figure.
    for p in &args.paths {
        let r = client
            .get(format!("{}{p}", args.url))
            .send()
            .await
            .with_context(|| format!("GET {}{p}", args.url))?;
        anyhow::ensure!(
            r.status().is_success(),
            "GET {}{p}: HTTP {}",
            args.url,
            r.status()
        );
    }
    let latencies = Arc::new(Mutex::new(Vec::<f64>::new()));
    let not_ok = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let deadline = Instant::now() + Duration::from_secs_f64(args.seconds);
    let start = Instant::now();
    let mut tasks = Vec::new();
    for worker in 0..args.concurrency.max(1) {
        let (client, url, paths) = (client.clone(), args.url.clone(), args.paths.clone());
        let (latencies, not_ok) = (latencies.clone(), not_ok.clone());
        tasks.push(tokio::spawn(async move {
            let mut mine = Vec::new();
            let mut i = worker;
            while Instant::now() < deadline {
                let path = &paths[i % paths.len()];
                i += 1;
                let t = Instant::now();
                let ok = match client.get(format!("{url}{path}")).send().await {
                    Ok(r) => r.status().is_success() && r.bytes().await.is_ok(),
                    Err(_) => false,
                };
                mine.push(t.elapsed().as_secs_f64() * 1e3);
                if !ok {
                    not_ok.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
            }
            latencies.lock().await.extend(mine);
        }));
    }
    for t in tasks {
        t.await?;
    }
    let elapsed = start.elapsed().as_secs_f64();
    let mut lat = latencies.lock().await.clone();
    lat.sort_by(f64::total_cmp);
    let pct = |p: f64| {
        let idx = ((lat.len() as f64 - 1.0) * p).round() as usize;
        lat.get(idx).copied().unwrap_or(0.0)
    };
    let report = Report {
        url: args.url.clone(),
        paths: args.paths.clone(),
        concurrency: args.concurrency,
        requests: lat.len(),
        requests_per_sec: lat.len() as f64 / elapsed,
        latency_p50_ms: pct(0.50),
        latency_p99_ms: pct(0.99),
        not_ok: not_ok.load(std::sync::atomic::Ordering::Relaxed),
    };
    if args.json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        println!(
            "{}: {} requests in {elapsed:.1} s = {:.0} req/s, p50 {:.2} ms, p99 {:.2} ms, {} not OK",
            report.url,
            report.requests,
            report.requests_per_sec,
            report.latency_p50_ms,
            report.latency_p99_ms,
            report.not_ok
        );
    }
    Ok(())
}
