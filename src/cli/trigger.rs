//! `sluice trigger PIPELINE`: asks a running `sluice serve` for a manual run over its
//! management API.

use clap::Args;
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::Value;

use super::{PROBLEMS, SUCCESS, USAGE};

#[derive(Debug, Args)]
pub struct TriggerArgs {
    /// The pipeline to run.
    pipeline: String,
    /// Where the daemon's management API listens.
    #[arg(
        long,
        env = "SLUICE_URL",
        default_value = "http://127.0.0.1:7878",
        value_name = "URL"
    )]
    url: String,
}

pub fn run(args: TriggerArgs) -> u8 {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return USAGE;
        }
    };
    runtime.block_on(trigger(args))
}

async fn trigger(args: TriggerArgs) -> u8 {
    let name = utf8_percent_encode(&args.pipeline, NON_ALPHANUMERIC);
    let url = format!("{}/pipelines/{name}/run", args.url.trim_end_matches('/'));
    let client = reqwest::Client::new();
    let mut request = client.post(&url);
    if let Some(token) = std::env::var("SLUICE_API_TOKEN")
        .ok()
        .filter(|t| !t.is_empty())
    {
        request = request.bearer_auth(token);
    }
    let response = match request.send().await {
        Ok(response) => response,
        Err(e) => {
            eprintln!(
                "error: cannot reach the daemon at {}: {e} (is `sluice serve` running there?)",
                args.url
            );
            return USAGE;
        }
    };
    let code = response.status();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    let error = body["error"].as_str().unwrap_or("no reason given");
    match code.as_u16() {
        202 => {
            let said = match body["accepted"].as_str() {
                Some("queued") => "queued: it runs after the current run",
                Some("already_queued") => "already queued: it runs after the current run",
                _ => "run started",
            };
            println!("{}: {said}", args.pipeline);
            SUCCESS
        }
        404 => {
            eprintln!("error: {error}");
            USAGE
        }
        429 => {
            eprintln!("error: {error}");
            PROBLEMS
        }
        other => {
            eprintln!("error: the daemon answered {other}: {error}");
            PROBLEMS
        }
    }
}
