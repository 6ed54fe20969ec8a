//! The command line: argument definitions (clap), one file per command. This is the
//! only place that prints to the user and chooses exit codes:
//! 0 success, 1 the work found problems, 2 usage or configuration error.

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::diagnostic::Diagnostic;

mod history;
mod map;
mod preview;
mod project;
mod run;
mod schema;
mod serve;
mod trigger;
mod validate;

/// sluice keeps records in step between platforms: pipelines, a mapping language, and
/// sync state in an embedded database.
#[derive(Debug, Parser)]
#[command(name = "sluice", version, about, long_about = None)]
pub struct Cli {
    /// The folder of pipeline files.
    #[arg(
        long,
        global = true,
        env = "SLUICE_PIPELINES",
        default_value = "pipelines",
        value_name = "DIR"
    )]
    pipelines: PathBuf,
    /// The state file (cursors, record fingerprints, run reports).
    #[arg(
        long,
        global = true,
        env = "SLUICE_STATE",
        default_value = ".sluice/state.redb",
        value_name = "FILE"
    )]
    state: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Apply a mapping file to records (JSON array, JSON object or NDJSON on stdin; or a
    /// JSON, NDJSON, CSV, XML, XLSX or XLS file) and print the mapped records as NDJSON.
    Map(map::MapArgs),
    /// Check pipeline files, their mappings and scripts; print every problem with
    /// file:line:col. Exit 1 when there is an error.
    Validate(validate::ValidateArgs),
    /// Print the JSON Schema of pipeline files (for editor completion and checks).
    Schema,
    /// Run a pipeline once: read, filter, map, compare with state, write what changed.
    Run(run::RunArgs),
    /// Preview a run: read, filter, map and compare, writing nothing anywhere.
    DryRun(run::DryRunArgs),
    /// List a pipeline's past runs, newest first.
    History(history::HistoryArgs),
    /// Show the report of one run.
    Report(history::ReportArgs),
    /// Show each pipeline's last run and cursor.
    Status,
    /// Run as a daemon: pipelines run on their schedules; manual triggers and status
    /// over HTTP (`--listen`). Stops cleanly on Ctrl-C or SIGTERM.
    Serve(serve::ServeArgs),
    /// Ask a running `sluice serve` to run a pipeline now.
    Trigger(trigger::TriggerArgs),
}

/// Exit codes.
pub const SUCCESS: u8 = 0;
pub const PROBLEMS: u8 = 1;
pub const USAGE: u8 = 2;

/// Parses the arguments and runs the command; the process exit code.
pub fn main() -> u8 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { USAGE } else { SUCCESS };
        }
    };
    match cli.command {
        Command::Map(args) => map::run(args),
        Command::Validate(args) => validate::run(args, &cli.pipelines),
        Command::Schema => schema::run(),
        Command::Run(args) => run::run(args, &cli.pipelines, &cli.state),
        Command::DryRun(args) => run::dry_run(args, &cli.pipelines, &cli.state),
        Command::History(args) => history::history(args, &cli.state),
        Command::Report(args) => history::report(args, &cli.state),
        Command::Status => history::status(&cli.state),
        Command::Serve(args) => serve::run(args, &cli.pipelines, &cli.state),
        Command::Trigger(args) => trigger::run(args),
    }
}

/// Prints diagnostics to stderr, rustc-style, in colour on a terminal.
fn print_diagnostics(diagnostics: &[Diagnostic]) {
    let color = std::io::stderr().is_terminal();
    for diagnostic in diagnostics {
        eprint!("{}", diagnostic.render(color));
    }
}
