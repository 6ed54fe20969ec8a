//! Compiling scripts, once, when they are loaded: Rhai parse errors become
//! [`Diagnostic`]s with a byte span in the user's file, so they render like mapping
//! errors (file:line:col and a caret).

use std::sync::Arc;

use rhai::{AST, Engine, ParseError, ParseErrorType, Position};

use super::codes;
use super::engine::REFUSED_SYMBOLS;
use super::error::Origin;
use crate::diagnostic::{Diagnostic, SourceFile};

/// A script file, compiled: its functions are ready to call.
pub struct CompiledScript {
    pub(crate) origin: Origin,
    pub(crate) ast: AST,
}

impl CompiledScript {
    /// The file the script was compiled from.
    pub fn file(&self) -> &Arc<SourceFile> {
        &self.origin.file
    }

    /// The compiled form.
    pub fn ast(&self) -> &AST {
        &self.ast
    }
}

impl std::fmt::Debug for CompiledScript {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CompiledScript")
            .field("file", &self.origin.file.name)
            .finish_non_exhaustive()
    }
}

/// Compiles a script file with the sandboxed engine. Rhai stops at the first syntax
/// error, so there is at most one diagnostic.
pub fn compile_script(
    file: Arc<SourceFile>,
    engine: &Engine,
) -> Result<CompiledScript, Vec<Diagnostic>> {
    let origin = Origin {
        offset: 0,
        text: file.text.clone(),
        file,
    };
    let compiled = super::engine::with_stack(|| engine.compile(&origin.text));
    match compiled {
        Ok(mut ast) => {
            ast.set_source(origin.file.name.as_str());
            Ok(CompiledScript { origin, ast })
        }
        Err(error) => Err(vec![parse_diagnostic(&origin, &error)]),
    }
}

/// A Rhai parse error as a diagnostic in the file the script text sits in.
pub(crate) fn parse_diagnostic(origin: &Origin, error: &ParseError) -> Diagnostic {
    let ParseError(kind, position) = error;
    let (code, message, width, help) = match kind.as_ref() {
        ParseErrorType::Reserved(symbol) if REFUSED_SYMBOLS.contains(&symbol.as_str()) => (
            codes::REFUSED,
            format!("`{symbol}` is not available in sluice scripts"),
            symbol.len(),
            Some(refused_help(symbol)),
        ),
        ParseErrorType::BadInput(rhai::LexError::ImproperSymbol(symbol, _))
            if REFUSED_SYMBOLS.contains(&symbol.as_str()) =>
        {
            (
                codes::REFUSED,
                format!("`{symbol}` is not available in sluice scripts"),
                symbol.len(),
                Some(refused_help(symbol)),
            )
        }
        ParseErrorType::VariableUndefined(name) => (
            codes::UNKNOWN_VARIABLE,
            format!("unknown variable `{name}`"),
            name.len(),
            None,
        ),
        ParseErrorType::MissingToken(token, description) => (
            codes::SYNTAX,
            format!("expected `{token}` {description}"),
            1,
            None,
        ),
        other => (codes::SYNTAX, other.to_string(), 1, None),
    };
    let mut start = start_of(origin, *position);
    let mut width = width;
    if let ParseErrorType::MissingToken(..) = kind.as_ref() {
        // Rhai places a missing token at the token after it, often on the next line; the
        // caret goes right after the text that lacks it.
        let before = &origin.file.text[origin.offset.min(start)..start];
        let gap = before.len() - before.trim_end().len();
        if gap > 0 {
            start -= gap;
            width = 0;
        }
    }
    let end = (start + width).min(origin.file.text.len());
    let diagnostic = Diagnostic::error(code, message, &origin.file, start..end);
    match help {
        Some(help) => diagnostic.with_help(help),
        None => diagnostic,
    }
}

fn refused_help(symbol: &str) -> String {
    match symbol {
        "import" => "functions in stdlib/functions/ and the pipeline's scripts are available to \
                     mappings by name; scripts cannot load modules"
            .to_string(),
        _ => "scripts cannot run text as code; write the expression directly".to_string(),
    }
}

/// The byte offset of a position, or the end of the text when Rhai gives none (an
/// unexpected end of input).
fn start_of(origin: &Origin, position: Position) -> usize {
    origin
        .byte_offset(position)
        .unwrap_or(origin.offset + origin.text.len())
        .min(origin.file.text.len())
}
