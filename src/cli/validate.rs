//! `sluice validate [PATH…]`: checks pipeline files, their mappings and scripts, and
//! prints every problem at once (rustc-like, or JSON with `--format json`).

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};

use super::{PROBLEMS, SUCCESS, USAGE, project};
use crate::catalog::{Catalog, pipeline_files};
use crate::diagnostic::DiagnosticRecord;

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Pipeline files or folders (searched recursively for *.toml); default: the
    /// pipelines folder.
    paths: Vec<PathBuf>,
    /// How to print the problems.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    /// rustc-like messages with the source line and a caret, then a summary.
    Text,
    /// A JSON array of {file, line, column, severity, code, message}.
    Json,
}

pub fn run(args: ValidateArgs, pipelines_dir: &Path) -> u8 {
    let paths = if args.paths.is_empty() {
        vec![pipelines_dir.to_path_buf()]
    } else {
        args.paths
    };
    let files = match pipeline_files(&paths) {
        Ok(files) => files,
        Err(message) => {
            eprintln!("error: {message}");
            return USAGE;
        }
    };
    let Some(toolkit) = project::toolkit() else {
        return USAGE;
    };
    let catalog = Catalog::load(&files, &project::load_context(), &toolkit);
    let printed = match args.format {
        Format::Text => print_text(&catalog),
        Format::Json => print_json(&catalog),
    };
    if let Err(e) = printed {
        eprintln!("error: cannot write the report: {e}");
        return USAGE;
    }
    if catalog.error_count() > 0 {
        PROBLEMS
    } else {
        SUCCESS
    }
}

fn print_text(catalog: &Catalog) -> std::io::Result<()> {
    let stdout = std::io::stdout();
    let color = stdout.is_terminal();
    let mut out = stdout.lock();
    for diagnostic in &catalog.diagnostics {
        write!(out, "{}", diagnostic.render(color))?;
    }
    writeln!(out, "{}", catalog.summary())
}

fn print_json(catalog: &Catalog) -> std::io::Result<()> {
    let records: Vec<DiagnosticRecord> = catalog.diagnostics.iter().map(|d| d.record()).collect();
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, &records)?;
    writeln!(out)
}
