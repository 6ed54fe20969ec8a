//! The HTTP benchmark of issue 5: records read from a paginated source on 127.0.0.1
//! (1,000 a page), mapped, compared with state and written to a destination on
//! 127.0.0.1 with `concurrency = 16`. Prints records/s of a dry run (read + map +
//! diff, nothing written) and writes/s of a real run (every record a create).
//!
//! cargo run --release --example http_sync [RECORDS]     (default 100000)
//!
//! With `--serve ADDR` it only serves the source API (`GET /records?page=&per_page=`,
//! the same records) on ADDR and waits until it is stopped: the source of the
//! comparison with dlt in `benches/dlt/`. The pages of 1,000 are rendered once at the
//! start, so the API's own work hardly weighs on the client measured on the same cores.
//!
//! cargo run --release --example http_sync -- --serve 127.0.0.1:8765 [RECORDS]

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use serde_json::{Value, json};
use sluice::catalog::{Catalog, Toolkit};
use sluice::engine::{self, RunOptions};
use sluice::pipeline::LoadContext;

const PAGE: usize = 1_000;

struct Platform {
    records: usize,
    created: AtomicU64,
    /// The pages of `PAGE` records, rendered once at the start: the fake API answers
    /// without building JSON, so its own CPU (on the same cores as the client) does not
    /// set the pace of the client measured. Other page sizes are rendered per request.
    pages: Vec<Bytes>,
}

impl Platform {
    fn new(records: usize) -> Platform {
        let pages = (0..records.div_ceil(PAGE) + 1)
            .map(|page| Bytes::from(page_body(records, page * PAGE, PAGE)))
            .collect();
        Platform {
            records,
            created: AtomicU64::new(0),
            pages,
        }
    }
}

/// The JSON answer of the page of `size` records from record `from`.
fn page_body(records: usize, from: usize, size: usize) -> Vec<u8> {
    let items: Vec<Value> = (from..from.saturating_add(size).min(records))
        .map(|i| {
            json!({"id": i, "email": format!("Person.{i}@Example.com"), "first_name": " Ada ",
                   "last_name": format!("Lovelace {i}"), "country": "nl",
                   "updated_at": "2026-01-01T00:00:00Z"})
        })
        .collect();
    serde_json::to_vec(&json!({"data": items})).unwrap_or_default()
}

#[derive(serde::Deserialize)]
struct Page {
    page: Option<usize>,
    per_page: Option<usize>,
}

async fn records(State(p): State<Arc<Platform>>, Query(q): Query<Page>) -> impl IntoResponse {
    let size = q.per_page.unwrap_or(PAGE).max(1);
    let page = q.page.unwrap_or(1).max(1) - 1;
    let body = match p.pages.get(page).filter(|_| size == PAGE) {
        Some(body) => body.clone(),
        // past the end: an empty page, like the pages of other sizes, built here
        None => Bytes::from(page_body(p.records, page.saturating_mul(size), size)),
    };
    ([(header::CONTENT_TYPE, "application/json")], body)
}

async fn create(State(p): State<Arc<Platform>>) -> axum::Json<Value> {
    let id = p.created.fetch_add(1, Ordering::Relaxed);
    axum::Json(json!({"id": format!("c{id}")}))
}

/// Starts the platform on its own runtime, listening on `bind`; its address.
fn serve(platform: Arc<Platform>, bind: SocketAddr) -> Result<SocketAddr, String> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = match tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
        {
            Ok(runtime) => runtime,
            Err(e) => return drop(tx.send(Err(e.to_string()))),
        };
        runtime.block_on(async move {
            let listener = match tokio::net::TcpListener::bind(bind).await {
                Ok(listener) => listener,
                Err(e) => return drop(tx.send(Err(e.to_string()))),
            };
            let _ = tx.send(listener.local_addr().map_err(|e| e.to_string()));
            let app = Router::new()
                .route("/records", get(records))
                .route("/contacts", post(create))
                .with_state(platform);
            let _ = axum::serve(listener, app).await;
        });
    });
    rx.recv().map_err(|e| e.to_string())?
}

fn main() -> ExitCode {
    match bench() {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn bench() -> Result<(), String> {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let only_serve = match args.iter().position(|a| a == "--serve") {
        Some(i) => {
            let addr = args
                .get(i + 1)
                .ok_or("--serve needs an address such as 127.0.0.1:8765")?;
            let addr: SocketAddr = addr
                .parse()
                .map_err(|_| format!("`{addr}` is not an address such as 127.0.0.1:8765"))?;
            if !addr.ip().is_loopback() {
                return Err(format!("{addr} is not a loopback address"));
            }
            args.drain(i..i + 2);
            Some(addr)
        }
        None => None,
    };
    let count: usize = match args.first() {
        Some(text) => text
            .parse()
            .map_err(|_| format!("`{text}` is not a count"))?,
        None => 100_000,
    };
    let platform = Arc::new(Platform::new(count));
    if let Some(bind) = only_serve {
        let addr = serve(platform, bind)?;
        println!("serving {count} records at http://{addr}/records ({PAGE} a page); Ctrl-C stops");
        loop {
            std::thread::park();
        }
    }
    let addr = serve(platform.clone(), SocketAddr::from(([127, 0, 0, 1], 0)))?;
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let file = dir.path().join("bench.toml");
    let text = format!(
        r#"[source]
type = "http"
url = "http://{addr}/records"
id = "id"
records = "data"
paginate = {{ type = "page", param = "page", size_param = "per_page", size = {PAGE} }}

[destination]
type = "http"
base_url = "http://{addr}"
create = {{ method = "POST", path = "/contacts", id = "id" }}
concurrency = 16

[mapping]
inline = '''
email     = email | lower | required
full_name = (first_name | trim) + " " + last_name
country   = country | upper
'''
"#
    );
    std::fs::write(&file, text).map_err(|e| e.to_string())?;
    let toolkit = Toolkit::new(dir.path()).map_err(|_| "no toolkit".to_string())?;
    let mut catalog = Catalog::load(&[file], &LoadContext::new(), &toolkit);
    if catalog.error_count() > 0 {
        return Err(format!(
            "the pipeline has errors: {:?}",
            catalog.diagnostics
        ));
    }
    let prepared = catalog
        .pipelines
        .pop_first()
        .map(|(_, p)| p)
        .ok_or("no pipeline")?;
    let state =
        sluice::state::State::open(&dir.path().join("state.redb")).map_err(|e| e.to_string())?;

    let started = Instant::now();
    let dry = RunOptions {
        dry_run: true,
        ..RunOptions::default()
    };
    let result = engine::run(&prepared, Some(&state), &dry, &()).map_err(|e| e.to_string())?;
    let seconds = started.elapsed().as_secs_f64();
    let read = result.report.counts.received;
    println!(
        "dry run (read + map + diff): {read} records in {seconds:.2} s, {:.0} records/s",
        read as f64 / seconds
    );

    let started = Instant::now();
    let result = engine::run(&prepared, Some(&state), &RunOptions::default(), &())
        .map_err(|e| e.to_string())?;
    let seconds = started.elapsed().as_secs_f64();
    let written = platform.created.load(Ordering::Relaxed);
    println!(
        "run (concurrency 16): {written} writes in {seconds:.2} s, {:.0} writes/s ({} created, {} failed)",
        written as f64 / seconds,
        result.report.counts.created,
        result.report.counts.failed
    );
    Ok(())
}
