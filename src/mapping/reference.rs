//! The mapping-language reference that the README carries: every built-in function
//! with its signature, summary and examples, and every diagnostic code. Generated from
//! the registry so that the documentation can never list a function that does not
//! exist or miss one that does (a test compares it with README.md).

use std::fmt::Write as _;

use super::codes;
use super::functions::{Category, builtins};

/// The function reference, as Markdown: a section per family.
pub fn functions_markdown() -> String {
    let mut functions = builtins();
    functions.sort_by(|a, b| (a.category, a.name).cmp(&(b.category, b.name)));
    let mut out = String::new();
    let mut current: Option<Category> = None;
    for function in functions {
        if current != Some(function.category) {
            current = Some(function.category);
            let _ = write!(out, "\n#### {}\n\n", function.category.title());
        }
        let _ = writeln!(
            out,
            "- **`{}`** — {}",
            function.signature(),
            function.summary
        );
        for example in function.examples {
            let _ = writeln!(out, "  - `{}` → `{}`", example.expr, example.result);
        }
    }
    out
}

/// The diagnostic codes, as a Markdown table.
pub fn codes_markdown() -> String {
    code_table(codes::ALL)
}

/// A list of (code, meaning) as a Markdown table; also used for the pipeline (`P`) and
/// script (`S`) codes.
pub fn code_table(codes: &[(&str, &str)]) -> String {
    let mut out = String::from("\n| code | meaning |\n|---|---|\n");
    for (code, meaning) in codes {
        let _ = writeln!(out, "| {code} | {} |", meaning.replace('|', "\\|"));
    }
    out
}
