//! README.md must tell the truth: its function reference and its lists of diagnostic
//! codes (mapping, pipeline, script) are exactly what the registry and each
//! `codes::ALL` hold. `SLUICE_BLESS=1` rewrites
//! the generated parts.

use std::path::Path;

use sluice::mapping::reference;

fn replace_between(text: &str, name: &str, content: &str) -> Result<String, String> {
    let begin = format!("<!-- {name}:begin -->");
    let end = format!("<!-- {name}:end -->");
    let start = text
        .find(&begin)
        .ok_or_else(|| format!("README.md lacks {begin}"))?
        + begin.len();
    let stop = text[start..]
        .find(&end)
        .ok_or_else(|| format!("README.md lacks {end}"))?
        + start;
    Ok(format!("{}{content}{}", &text[..start], &text[stop..]))
}

#[test]
fn readme_reference_matches_the_registry() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md");
    let readme = std::fs::read_to_string(&path).expect("README.md is readable");
    let updated = replace_between(&readme, "functions", &reference::functions_markdown())
        .and_then(|t| replace_between(&t, "codes", &reference::codes_markdown()))
        .and_then(|t| {
            replace_between(
                &t,
                "pipeline-codes",
                &reference::code_table(sluice::pipeline::codes::ALL),
            )
        })
        .and_then(|t| {
            replace_between(
                &t,
                "script-codes",
                &reference::code_table(sluice::script::codes::ALL),
            )
        })
        .unwrap_or_else(|e| panic!("{e}"));
    if updated != readme {
        if std::env::var_os("SLUICE_BLESS").is_some() {
            std::fs::write(&path, updated).expect("README.md is writable");
        } else {
            panic!(
                "README.md's generated reference is out of date: run `SLUICE_BLESS=1 cargo test --test readme` and commit"
            );
        }
    }
}
