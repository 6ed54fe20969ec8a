//! `[sync] when = '…'`: a Rhai expression deciding per source record whether the record
//! is synced. It is compiled once, when the pipeline is loaded, and evaluated with a
//! fresh scope holding `record` and `vars` for every record.

use std::sync::Arc;

use rhai::{Dynamic, Scope};
use serde_json::Value;

use super::compile::parse_diagnostic;
use super::convert::to_dynamic;
use super::engine::{Sandbox, with_stack};
use super::error::{Origin, ScriptError, ScriptErrorKind};
use crate::diagnostic::{Diagnostic, SourceFile};

/// A compiled condition.
pub struct Condition {
    engine: Arc<Sandbox>,
    ast: rhai::AST,
    origin: Origin,
}

impl std::fmt::Debug for Condition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Condition")
            .field("expression", &self.origin.text)
            .finish_non_exhaustive()
    }
}

/// The variables a condition sees.
fn scope(record: Dynamic, vars: Dynamic) -> Scope<'static> {
    let mut scope = Scope::new();
    scope.push_constant_dynamic("record", record);
    scope.push_constant_dynamic("vars", vars);
    scope
}

impl Condition {
    /// Compiles `expression`, which sits in `file` at byte `offset` (inside the pipeline
    /// file's `when = '…'`), so that errors point into that file. The expression may
    /// read `record` and `vars` and nothing else.
    pub fn compile(
        engine: Arc<Sandbox>,
        expression: &str,
        file: &Arc<SourceFile>,
        offset: usize,
    ) -> Result<Condition, Vec<Diagnostic>> {
        let origin = Origin {
            file: Arc::clone(file),
            offset,
            text: expression.to_string(),
        };
        let names = scope(Dynamic::UNIT, Dynamic::UNIT);
        let compiled = with_stack(|| {
            engine
                .compiler()
                .compile_expression_with_scope(&names, expression)
        });
        match compiled {
            Ok(ast) => Ok(Condition {
                engine,
                ast,
                origin,
            }),
            Err(error) => Err(vec![parse_diagnostic(&origin, &error)]),
        }
    }

    /// The expression's text.
    pub fn expression(&self) -> &str {
        &self.origin.text
    }

    /// Whether `record` passes: `true` keeps it, `false` skips it. A result that is not a
    /// boolean, or a script error, is an error naming the place in the pipeline file.
    pub fn evaluate(&self, record: &Value, vars: &Value) -> Result<bool, ScriptError> {
        let mut scope = scope(to_dynamic(record), to_dynamic(vars));
        let result = with_stack(|| {
            self.engine
                .runner()
                .eval_ast_with_scope::<Dynamic>(&mut scope, &self.ast)
        });
        match result {
            Ok(value) => value.as_bool().map_err(|type_name| {
                self.origin.error(
                    ScriptErrorKind::NotBool,
                    format!("the condition gave {type_name}, not true or false"),
                    rhai::Position::new(1, 1),
                )
            }),
            Err(error) => Err(self.origin.eval_error(self.engine.runner(), &error)),
        }
    }
}
