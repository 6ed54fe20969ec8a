//! Golden tests of `sluice validate`'s text output: every folder `tests/validate/<case>/`
//! holds one or more pipeline `*.toml` files with the `*.map` and `*.rhai` files they
//! use, an optional `env` file (`NAME=VALUE` lines, the only environment `${env:…}`
//! sees), and `expected.txt`: every diagnostic rendered without colour, then the
//! summary line, exactly as `sluice validate tests/validate/<case>` prints them.
//!
//! The catalog is built through the library as the CLI builds it, with "now" fixed at
//! 2026-11-25T00:00:00Z so that `until` checks do not age. The case `examples`
//! validates the real `pipelines/` folder, which must have no problems.
//!
//! Run with `SLUICE_BLESS=1` to rewrite `expected.txt` from what sluice prints now;
//! read the diff before committing it.

use std::path::{Path, PathBuf};

use sluice::catalog::{Catalog, Toolkit, pipeline_files};
use sluice::pipeline::LoadContext;

const CASES: &str = "tests/validate";
const NOW: &str = "2026-11-25T00:00:00Z";

/// `NAME=VALUE` lines; blank lines and `#` comments are skipped.
fn read_env(path: &Path) -> Result<Vec<(String, String)>, String> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return Ok(Vec::new());
    };
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|line| {
            line.split_once('=')
                .map(|(n, v)| (n.trim().to_string(), v.to_string()))
                .ok_or_else(|| format!("bad env line `{line}`"))
        })
        .collect()
}

/// What `sluice validate PATHS` prints (without colour).
fn validate(paths: &[PathBuf], env: Vec<(String, String)>, toolkit: &Toolkit) -> String {
    let files = match pipeline_files(paths) {
        Ok(files) => files,
        Err(message) => return format!("error: {message}\n"),
    };
    let ctx = LoadContext::new()
        .with_project_root(".")
        .with_library(vec![PathBuf::from("stdlib").join("presets")])
        .with_env(move |name| env.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone()))
        .with_now(NOW.parse().expect("a time"));
    let catalog = Catalog::load(&files, &ctx, toolkit);
    let mut out: String = catalog
        .diagnostics
        .iter()
        .map(|d| d.render(false))
        .collect();
    out.push_str(&catalog.summary());
    out.push('\n');
    out
}

/// A line diff (longest common subsequence), `-` expected, `+` actual.
fn diff(expected: &str, actual: &str) -> String {
    let a: Vec<&str> = expected.lines().collect();
    let b: Vec<&str> = actual.lines().collect();
    let mut lcs = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    let mut out = String::new();
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            out.push_str(&format!("  {}\n", a[i]));
            i += 1;
            j += 1;
        } else if j < b.len() && (i == a.len() || lcs[i][j + 1] >= lcs[i + 1][j]) {
            out.push_str(&format!("+ {}\n", b[j]));
            j += 1;
        } else {
            out.push_str(&format!("- {}\n", a[i]));
            i += 1;
        }
    }
    out
}

#[test]
fn golden_validate() {
    let toolkit = Toolkit::new(Path::new(".")).expect("the built-in scripts compile");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(CASES)
        .expect("tests/validate")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    let bless = std::env::var_os("SLUICE_BLESS").is_some();
    let mut failures = Vec::new();
    let mut broken = 0;
    for case in &cases {
        let name = case
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let env = match read_env(&case.join("env")) {
            Ok(env) => env,
            Err(e) => {
                failures.push(format!("{name}: {e}"));
                continue;
            }
        };
        let paths = if name == "examples" {
            vec![PathBuf::from("pipelines")]
        } else {
            vec![case.clone()]
        };
        let actual = validate(&paths, env, &toolkit);
        if !actual.ends_with(": no problems\n") {
            broken += 1;
        }
        let expected_path = case.join("expected.txt");
        let expected = std::fs::read_to_string(&expected_path).unwrap_or_default();
        if expected == actual {
            continue;
        }
        if bless {
            if let Err(e) = std::fs::write(&expected_path, &actual) {
                failures.push(format!("{name}: cannot write expected.txt: {e}"));
            }
        } else {
            failures.push(format!(
                "{name} (- expected, + actual):\n{}",
                diff(&expected, &actual)
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} validate cases differ (SLUICE_BLESS=1 rewrites expected.txt):\n\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
    assert!(broken >= 45, "only {broken} cases with problems");
}
