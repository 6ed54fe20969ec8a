//! Rhai functions as functions of the mapping language. Every public `fn` of a script
//! (from `stdlib/functions/` or a pipeline's own scripts) becomes callable by name from
//! mappings; `private fn`s stay helpers of their script. The mapping compiler checks
//! argument counts against the Rhai parameters; arguments cross as JSON values (null is
//! `()` in Rhai) and each call runs with a fresh scope under the sandbox's limits.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

use rhai::{CallFnOptions, Dynamic, FnAccess, Scope};

use super::codes;
use super::compile::CompiledScript;
use super::convert::{from_dynamic, to_dynamic};
use super::engine::{Sandbox, with_stack};
use super::error::ScriptErrorKind;
use crate::diagnostic::Diagnostic;
use crate::mapping::functions::{Args, Call, Entry, External, FnError, Nulls, Param, Registry};
use crate::mapping::value::Value;

/// One exported Rhai function name (all its overloads in one script).
struct Exported {
    name: String,
    /// Parameter names of the longest overload.
    params: Vec<String>,
    /// The fewest parameters of any overload.
    min: usize,
    summary: String,
}

/// Adds every public function of `scripts` to `registry`. Returns a diagnostic for each
/// function that cannot be added: one named like a function the registry already has
/// (a built-in may not be shadowed), or one defined in two scripts.
pub fn register_functions(
    registry: &mut Registry,
    scripts: &[Arc<CompiledScript>],
    engine: &Arc<Sandbox>,
) -> Vec<Diagnostic> {
    let mut diagnostics = Vec::new();
    let mut defined_in: BTreeMap<String, Arc<CompiledScript>> = BTreeMap::new();
    for script in scripts {
        for function in exported(script) {
            let span = definition_span(script, &function.name);
            let file = script.file();
            if let Some(first) = defined_in.get(&function.name) {
                let message = format!(
                    "function `{}` is also defined in {}",
                    function.name,
                    first.file().name
                );
                diagnostics.push(
                    Diagnostic::error(codes::DEFINED_TWICE, message, file, span)
                        .with_help("rename one of them, or make one `private fn`"),
                );
                continue;
            }
            if let Some(existing) = registry.get(&function.name) {
                let what = match existing {
                    Entry::Builtin(_) => "a built-in mapping function",
                    Entry::External(_) => "a function the pipeline already provides",
                };
                let message = format!("function `{}` has the name of {what}", function.name);
                diagnostics.push(
                    Diagnostic::error(codes::SHADOWS_BUILTIN, message, file, span).with_help(
                        "rename it, or make it `private fn` if only this script uses it",
                    ),
                );
                continue;
            }
            defined_in.insert(function.name.clone(), Arc::clone(script));
            let definition = (span.end > 0).then_some(span.start);
            let params = function
                .params
                .iter()
                .enumerate()
                .map(|(i, name)| {
                    let name = intern(name);
                    if i < function.min {
                        Param::required(name)
                    } else {
                        Param::optional(name)
                    }
                })
                .collect();
            registry.add_external(External {
                name: function.name.clone(),
                params,
                summary: function.summary,
                nulls: Nulls::Accept,
                call: Arc::new(ScriptFunction {
                    name: function.name,
                    script: Arc::clone(script),
                    engine: Arc::clone(engine),
                    definition,
                }),
            });
        }
    }
    diagnostics
}

/// The public functions of a script, overloads merged, in name order.
fn exported(script: &CompiledScript) -> Vec<Exported> {
    let mut by_name: BTreeMap<String, Exported> = BTreeMap::new();
    for f in script.ast.iter_functions() {
        if f.access == FnAccess::Private {
            continue;
        }
        let summary = summary(&f.comments);
        let entry = by_name
            .entry(f.name.to_string())
            .or_insert_with(|| Exported {
                name: f.name.to_string(),
                params: Vec::new(),
                min: f.params.len(),
                summary: String::new(),
            });
        entry.min = entry.min.min(f.params.len());
        if f.params.len() >= entry.params.len() {
            entry.params = f.params.iter().map(|p| p.to_string()).collect();
        }
        if entry.summary.is_empty() {
            entry.summary = summary;
        }
    }
    by_name.into_values().collect()
}

/// The first paragraph of a doc comment (`/// …` lines or a `/** … */` block), on one line.
fn summary(comments: &[&str]) -> String {
    let mut words = Vec::new();
    'lines: for comment in comments {
        for line in comment.lines() {
            let line = line.trim();
            let line = line
                .strip_prefix("///")
                .or_else(|| line.strip_prefix("/**"))
                .unwrap_or(line);
            let line = line.strip_suffix("*/").unwrap_or(line);
            let line = line.trim().trim_start_matches('*').trim();
            if line.is_empty() {
                if words.is_empty() {
                    continue;
                }
                break 'lines;
            }
            words.push(line.to_string());
        }
    }
    words.join(" ")
}

/// The span of a function's name in its definition (`fn name(`), for diagnostics.
fn definition_span(script: &CompiledScript, name: &str) -> std::ops::Range<usize> {
    find_definition(&script.origin.file.text, name).map_or(0..0, |at| at..at + name.len())
}

/// Where `name` stands in the first `fn name(` of `text` (`fn` a word of its own,
/// spaces allowed around the name). A plain scan: a regex compiled for each function
/// cost startup ~0.2 ms a function.
fn find_definition(text: &str, name: &str) -> Option<usize> {
    let is_word = |c: char| c.is_alphanumeric() || c == '_';
    text.match_indices("fn").find_map(|(at, _)| {
        if text[..at].chars().next_back().is_some_and(is_word) {
            return None;
        }
        let after = &text[at + 2..];
        let rest = after.trim_start();
        if rest.len() == after.len() {
            return None;
        }
        let tail = rest.strip_prefix(name)?;
        tail.trim_start()
            .starts_with('(')
            .then(|| text.len() - rest.len())
    })
}

/// Parameter names of the mapping registry are `&'static str`; script parameter names
/// are interned once each, so reloading scripts does not grow memory.
fn intern(name: &str) -> &'static str {
    static NAMES: Mutex<BTreeSet<&'static str>> = Mutex::new(BTreeSet::new());
    let mut names = match NAMES.lock() {
        Ok(names) => names,
        Err(poisoned) => poisoned.into_inner(),
    };
    if let Some(existing) = names.get(name) {
        return existing;
    }
    let leaked: &'static str = Box::leak(name.to_string().into_boxed_str());
    names.insert(leaked);
    leaked
}

/// A Rhai function called from a mapping.
struct ScriptFunction {
    name: String,
    script: Arc<CompiledScript>,
    engine: Arc<Sandbox>,
    /// Byte offset of the function's name in its definition, the place given for errors
    /// that Rhai reports without a position (the sandbox's limits).
    definition: Option<usize>,
}

impl Call for ScriptFunction {
    fn call(&self, args: &mut Args<'_, '_>) -> Result<Value, FnError> {
        let values: Vec<Dynamic> = (0..args.len()).map(|i| to_dynamic(args.value(i))).collect();
        // Only the functions are used: the script's top-level statements do not run.
        let options = CallFnOptions::new().eval_ast(false).rewind_scope(false);
        let result = with_stack(|| {
            self.engine.runner().call_fn_with_options::<Dynamic>(
                options,
                &mut Scope::new(),
                &self.script.ast,
                &self.name,
                values,
            )
        });
        let origin = &self.script.origin;
        match result {
            Ok(value) => from_dynamic(value).map_err(|what| {
                let error = origin.error(
                    ScriptErrorKind::Conversion,
                    format!("returned {what}"),
                    rhai::Position::NONE,
                );
                FnError(format!("{}: {error}", self.name))
            }),
            Err(error) => {
                let mut error = origin.eval_error(self.engine.runner(), &error);
                if error.position.is_none() {
                    error.position = self.definition.map(|at| origin.file.line_col(at));
                }
                Err(FnError(format!("{}: {error}", self.name)))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::find_definition;

    #[test]
    fn a_definition_is_found_where_its_name_stands() {
        let text = "// title(x)\nprivate fn helper(a) {}\nfn  title (name, style) { name }\n";
        let at = find_definition(text, "title");
        assert_eq!(at.map(|at| &text[at..at + 5]), Some("title"));
        assert_eq!(at, text.rfind("title"));
        assert_eq!(find_definition(text, "helper"), text.find("helper"));
    }

    #[test]
    fn a_longer_name_or_a_word_ending_in_fn_is_not_a_definition() {
        assert_eq!(find_definition("fn titles(x) {}", "title"), None);
        assert_eq!(find_definition("let defn title(x)", "title"), None);
        assert_eq!(find_definition("fntitle(x)", "title"), None);
        assert_eq!(find_definition("fn title = 1", "title"), None);
    }
}
