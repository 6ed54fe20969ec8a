//! `sluice history PIPELINE`, `sluice report RUN_ID`, `sluice status`: what ran, when,
//! with which result, read from the state store.

use std::fmt::Write as _;
use std::path::Path;

use clap::Args;

use super::project::open_state;
use super::{PROBLEMS, SUCCESS, USAGE};

#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// The pipeline's name.
    pipeline: String,
    /// How many runs to list (newest first).
    #[arg(long, default_value_t = 20)]
    limit: usize,
    /// Print the reports as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The run id (`sluice history` lists them).
    run_id: String,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

pub fn history(args: HistoryArgs, state_path: &Path) -> u8 {
    let Some(state) = open_state(state_path) else {
        return USAGE;
    };
    let reports = match state.history(&args.pipeline, args.limit) {
        Ok(reports) => reports,
        Err(e) => {
            eprintln!("error: {e}");
            return PROBLEMS;
        }
    };
    if args.json {
        return print_json(&reports);
    }
    if reports.is_empty() {
        println!("`{}` has not run yet", args.pipeline);
        return SUCCESS;
    }
    let mut out = String::new();
    for r in &reports {
        let c = &r.counts;
        let _ = writeln!(
            out,
            "{:<24} {:<10} {:<9} {}  received {} created {} updated {} unchanged {} deleted {} invalid {} failed {}",
            r.run_id,
            format!("{:?}", r.status).to_lowercase(),
            format!("{:?}", r.trigger).to_lowercase(),
            r.started_at.format("%Y-%m-%d %H:%M:%S"),
            c.received,
            c.created,
            c.updated,
            c.unchanged,
            c.deleted,
            c.invalid,
            c.failed
        );
    }
    print!("{out}");
    SUCCESS
}

pub fn report(args: ReportArgs, state_path: &Path) -> u8 {
    let Some(state) = open_state(state_path) else {
        return USAGE;
    };
    match state.report(&args.run_id) {
        Ok(Some(report)) if args.json => print_json(&report),
        Ok(Some(report)) => {
            print!("{}", report.table());
            SUCCESS
        }
        Ok(None) => {
            eprintln!("error: there is no run `{}`", args.run_id);
            PROBLEMS
        }
        Err(e) => {
            eprintln!("error: {e}");
            PROBLEMS
        }
    }
}

pub fn status(state_path: &Path) -> u8 {
    let Some(state) = open_state(state_path) else {
        return USAGE;
    };
    let pipelines = match state.pipelines() {
        Ok(pipelines) => pipelines,
        Err(e) => {
            eprintln!("error: {e}");
            return PROBLEMS;
        }
    };
    if pipelines.is_empty() {
        println!("no pipeline has run yet");
    }
    for (name, p) in pipelines {
        let last = p.last_finished_at.map_or_else(
            || "never".to_string(),
            |t| t.format("%Y-%m-%d %H:%M:%S").to_string(),
        );
        let status = p
            .last_status
            .map_or_else(|| "-".to_string(), |s| format!("{s:?}").to_lowercase());
        println!(
            "{name:<24} last run {last} ({status}), {} runs, cursor {}",
            p.runs,
            p.cursor.as_deref().unwrap_or("-")
        );
    }
    SUCCESS
}

fn print_json<T: serde::Serialize>(value: &T) -> u8 {
    match serde_json::to_string_pretty(value) {
        Ok(json) => {
            println!("{json}");
            SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            PROBLEMS
        }
    }
}
