//! `sluice run PIPELINE` and `sluice dry-run PIPELINE`.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};

use super::project::{find_and_prepare, open_state};
use super::{PROBLEMS, SUCCESS, USAGE};
use crate::engine::{self, Progress, RunOptions};
use crate::report::{Counts, RunStatus};
use crate::state::State;

#[derive(Debug, Args)]
pub struct RunArgs {
    /// A pipeline name (a file in the pipelines folder) or the path of a pipeline file.
    pipeline: String,
    /// Ignore the incremental cursor: read everything.
    #[arg(long)]
    full: bool,
    /// Allow deleting more than `max_delete_fraction` of the known records.
    #[arg(long)]
    allow_mass_delete: bool,
    /// How to print the report.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
}

#[derive(Debug, Args)]
pub struct DryRunArgs {
    /// A pipeline name (a file in the pipelines folder) or the path of a pipeline file.
    pipeline: String,
    /// Stop reading after this many records.
    #[arg(long, value_name = "N")]
    limit: Option<u64>,
    /// Also write the preview to this file: .xlsx, .json or .csv.
    #[arg(long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Ignore the incremental cursor: preview a read of everything.
    #[arg(long)]
    full: bool,
    /// How many raw/mapped record pairs to show.
    #[arg(long, value_name = "N", default_value_t = 5)]
    samples: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    /// A table for people.
    Table,
    /// The report as JSON.
    Json,
}

/// A progress bar on a terminal; nothing otherwise.
struct Bar(Option<ProgressBar>);

impl Bar {
    fn new() -> Bar {
        if !std::io::stderr().is_terminal() {
            return Bar(None);
        }
        let bar = ProgressBar::new_spinner();
        if let Ok(style) = ProgressStyle::with_template("{spinner} {elapsed} {msg}") {
            bar.set_style(style);
        }
        Bar(Some(bar))
    }

    fn done(&self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}

impl Progress for Bar {
    fn update(&self, c: &Counts) {
        if let Some(bar) = &self.0 {
            bar.set_message(format!(
                "{} read: {} created, {} updated, {} unchanged, {} skipped, {} invalid, {} failed",
                c.received, c.created, c.updated, c.unchanged, c.skipped, c.invalid, c.failed
            ));
            bar.tick();
        }
    }
}

pub fn run(args: RunArgs, pipelines_dir: &Path, state_path: &Path) -> u8 {
    let Some(prepared) = find_and_prepare(pipelines_dir, &args.pipeline) else {
        return USAGE;
    };
    let Some(state) = open_state(state_path) else {
        return USAGE;
    };
    let options = RunOptions {
        full: args.full,
        allow_mass_delete: args.allow_mass_delete,
        ..RunOptions::default()
    };
    let bar = Bar::new();
    let result = engine::run(&prepared, Some(&state), &options, &bar);
    bar.done();
    let report = match result {
        Ok(result) => result.report,
        Err(e) => {
            eprintln!("error: {e}");
            return PROBLEMS;
        }
    };
    match args.format {
        Format::Table => print!("{}", report.table()),
        Format::Json => match serde_json::to_string_pretty(&report) {
            Ok(json) => println!("{json}"),
            Err(e) => {
                eprintln!("error: {e}");
                return PROBLEMS;
            }
        },
    }
    if report.status == RunStatus::Succeeded {
        SUCCESS
    } else {
        PROBLEMS
    }
}

pub fn dry_run(args: DryRunArgs, pipelines_dir: &Path, state_path: &Path) -> u8 {
    let Some(prepared) = find_and_prepare(pipelines_dir, &args.pipeline) else {
        return USAGE;
    };
    // The state is read from a copy, so that the real file stays byte for byte as it
    // was (and a running daemon's lock does not stand in the way).
    let copy = match snapshot(state_path) {
        Ok(copy) => copy,
        Err(message) => {
            eprintln!("error: {message}");
            return USAGE;
        }
    };
    let state: Option<State> = match &copy {
        Some((_, path)) => match open_state(path) {
            Some(state) => Some(state),
            None => return USAGE,
        },
        None => None,
    };
    let options = RunOptions {
        dry_run: true,
        full: args.full,
        limit: args.limit,
        samples: args
            .samples
            .max(if args.output.is_some() { 1_000 } else { 0 }),
        ..RunOptions::default()
    };
    let bar = Bar::new();
    let result = engine::run(&prepared, state.as_ref(), &options, &bar);
    bar.done();
    let result = match result {
        Ok(result) => result,
        Err(e) => {
            eprintln!("error: {e}");
            return PROBLEMS;
        }
    };
    let preview = result.preview.unwrap_or_default();
    print!(
        "{}",
        super::preview::text(&result.report, &preview, args.samples)
    );
    if let Some(output) = &args.output {
        if let Err(message) = super::preview::write(output, &result.report, &preview) {
            eprintln!("error: {message}");
            return PROBLEMS;
        }
        eprintln!("preview written to {}", output.display());
    }
    if result.report.status == RunStatus::Failed {
        PROBLEMS
    } else {
        SUCCESS
    }
}

/// A temporary copy of the state file, when there is one.
fn snapshot(state_path: &Path) -> Result<Option<(tempfile::TempDir, PathBuf)>, String> {
    if !state_path.is_file() {
        return Ok(None);
    }
    let dir = tempfile::tempdir().map_err(|e| format!("cannot make a temporary folder: {e}"))?;
    let copy = dir.path().join("state.redb");
    std::fs::copy(state_path, &copy)
        .map_err(|e| format!("cannot read `{}`: {e}", state_path.display()))?;
    Ok(Some((dir, copy)))
}
