//! Parsing: mapping text → statements ([`ast::Stmt`]) and every syntax error found.
//!
//! The pest grammar (grammar/mapping.pest) parses one statement at a time; this driver
//! walks the file statement by statement, checks that each starts on a line of its
//! own, and after a syntax error resumes at the next line that starts a statement, so
//! one mistake does not hide the others. Parsing never panics and never gives up early.

use std::sync::Arc;

use pest::Parser as _;
use pest::error::{ErrorVariant, InputLocation};
use pest::iterators::Pair;

use super::ast::{BinaryOp, Expr, ExprKind, Name, Segment, Span, Stmt, UnaryOp};
use super::codes::{INVALID_LITERAL, SYNTAX as SYNTAX_ERROR, TOO_DEEP};
use super::value::{Number, Value};
use crate::diagnostic::{Diagnostic, SourceFile};

#[derive(pest_derive::Parser)]
#[grammar = "grammar/mapping.pest"]
struct Grammar;

/// Parses a whole file. Returns the statements that parsed and a diagnostic per error.
pub fn parse(file: &Arc<SourceFile>) -> (Vec<Stmt>, Vec<Diagnostic>) {
    let text = file.text.as_str();
    if let Some(at) = too_deep(text) {
        let diagnostic = Diagnostic::error(
            TOO_DEEP,
            format!("brackets nest more than {MAX_DEPTH} deep, or a statement has more than {MAX_IFS} `if`s"),
            file,
            at..token_end(text, at),
        )
        .with_help("split the expression with `let`");
        return (Vec::new(), vec![diagnostic]);
    }
    let mut parser = Driver {
        file,
        base: 0,
        diagnostics: Vec::new(),
    };
    let mut statements = Vec::new();
    let mut pos = skip_trivia(text, 0);
    let mut previous_end: Option<usize> = None;
    let mut previous_start = 0;
    while pos < text.len() {
        if let Some(end) = previous_end
            && !text[end..pos].contains('\n')
        {
            // The statement before ended early: the rest of its line does not fit.
            // Parsing it again up to the end of that line, this time requiring the end,
            // lets pest say what it expected at the furthest point it reached.
            statements.pop();
            // When the rest is a statement on a later line, the statement before ran on
            // into it (a line ending in an operator or `|`): stop before that line.
            let junk_line = text[..pos].rfind('\n').map_or(0, |i| i + 1);
            let line_end = text[pos..].find('\n').map_or(text.len(), |i| pos + i);
            let swallowed =
                junk_line > previous_start && looks_like_statement(&text[junk_line..line_end]);
            let stop = if swallowed { junk_line } else { line_end };
            let diagnostic =
                match Grammar::parse(Rule::statement_strict, &text[previous_start..stop]) {
                    Err(error) => parser.syntax_error(previous_start, &error).1,
                    Ok(_) => Diagnostic::error(
                        SYNTAX_ERROR,
                        format!(
                            "expected an operator or the end of the line, found {}",
                            describe_found(text, pos)
                        ),
                        file,
                        pos..token_end(text, pos),
                    ),
                };
            parser.diagnostics.push(
                if !swallowed && looks_like_statement(&text[pos..line_end]) {
                    diagnostic.with_help("write one statement per line")
                } else {
                    diagnostic
                },
            );
            pos = if swallowed {
                skip_blanks(text, junk_line)
            } else {
                resume_point(text, pos, previous_start)
            };
            previous_end = None;
            continue;
        }
        match Grammar::parse(Rule::statement_item, &text[pos..]) {
            Ok(mut pairs) => {
                let Some(item) = pairs.next() else { break };
                parser.base = pos;
                let end = pos + token_extent(&item);
                if let Some(statement) = item.into_inner().next().and_then(|s| parser.statement(s))
                {
                    if statement_depth(&statement) > MAX_EXPR_DEPTH {
                        parser.diagnostics.push(
                            Diagnostic::error(
                                TOO_DEEP,
                                format!(
                                    "this statement nests more than {MAX_EXPR_DEPTH} operations deep"
                                ),
                                file,
                                statement.span().clone(),
                            )
                            .with_help("split the expression with `let`"),
                        );
                    } else {
                        statements.push(statement);
                    }
                }
                previous_end = Some(end);
                previous_start = pos;
                pos = skip_trivia(text, end);
            }
            Err(error) => {
                let (at, diagnostic) = parser.syntax_error(pos, &error);
                parser.diagnostics.push(diagnostic);
                pos = resume_point(text, at, pos);
                previous_end = None;
            }
        }
    }
    (statements, parser.diagnostics)
}

/// Where the last token of a pair ends (relative to the parsed text): the end of its
/// last leaf, found by following the last child down (inner pairs come in order, and
/// white space between them is not a pair). Linear in the depth, not the size.
fn token_extent(pair: &Pair<'_, Rule>) -> usize {
    let mut current = pair.clone();
    while let Some(last) = current.clone().into_inner().next_back() {
        current = last;
    }
    current.as_span().end()
}

/// How deeply brackets and `if`s may nest: deep enough for any real mapping, shallow
/// enough that the recursive parser, compiler and evaluator stay far from the stack's end.
pub const MAX_DEPTH: usize = 64;

/// How many `if`s one statement may hold. `if`s are counted, not their nesting (which a
/// lexical scan cannot see), so this allows long `else if` chains and many `if`s side by
/// side while still bounding the recursion.
pub const MAX_IFS: usize = 256;

/// The offset where nesting first goes deeper than [`MAX_DEPTH`], if it does. A lexical
/// scan: strings, quoted names and comments are skipped; `if`s count until a line that
/// does not continue them (over-counting is harmless at this depth).
fn too_deep(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    let mut ifs = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            quote @ (b'"' | b'\'' | b'`') => {
                i += 1;
                while i < bytes.len() && bytes[i] != quote && bytes[i] != b'\n' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            b'\n' if depth == 0 && !continues_if(&text[i + 1..]) => ifs = 0,
            b'i' if bytes.get(i + 1) == Some(&b'f')
                && !bytes
                    .get(i + 2)
                    .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_')
                && (i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_')) =>
            {
                ifs += 1
            }
            _ => {}
        }
        if depth > MAX_DEPTH || ifs > MAX_IFS {
            return Some(i);
        }
        i += 1;
    }
    None
}

/// How deep an expression tree may be: chains of operators (`a + a + …`, `- - a`,
/// `x | f | g …`) are parsed flat but evaluated recursively, one level per link.
pub const MAX_EXPR_DEPTH: usize = 512;

/// The depth of a statement's expression tree. Runs on the compiling thread, whose
/// stack is large, and its frames are small.
fn statement_depth(statement: &Stmt) -> usize {
    match statement {
        Stmt::Assign { value, .. } | Stmt::Let { value, .. } => expr_depth(value),
        Stmt::Skip { condition, .. } | Stmt::Invalid { condition, .. } => expr_depth(condition),
        Stmt::Import { .. } => 0,
    }
}

fn expr_depth(expr: &Expr) -> usize {
    1 + match &expr.kind {
        ExprKind::Literal(_) | ExprKind::Field(_) | ExprKind::Variable(_) | ExprKind::Element => 0,
        ExprKind::List(items) => items.iter().map(expr_depth).max().unwrap_or(0),
        ExprKind::Object(entries) => entries
            .iter()
            .map(|(_, e)| expr_depth(e))
            .max()
            .unwrap_or(0),
        ExprKind::Access(base, _) | ExprKind::Unary(_, base) => expr_depth(base),
        ExprKind::Call { args, .. } => args.iter().map(expr_depth).max().unwrap_or(0),
        ExprKind::Binary(_, left, right) => expr_depth(left).max(expr_depth(right)),
        ExprKind::If(c, t, o) => expr_depth(c).max(expr_depth(t)).max(expr_depth(o)),
    }
}

/// Whether a line continues an `if` of the line before.
fn continues_if(next_line: &str) -> bool {
    let word: String = next_line
        .trim_start()
        .chars()
        .take_while(|c| c.is_ascii_alphabetic())
        .collect();
    matches!(word.as_str(), "if" | "then" | "else")
}

/// Skips white space, line breaks and comments.
fn skip_trivia(text: &str, mut pos: usize) -> usize {
    let bytes = text.as_bytes();
    while pos < bytes.len() {
        match bytes[pos] {
            b' ' | b'\t' | b'\r' | b'\n' => pos += 1,
            b'#' => {
                while pos < bytes.len() && bytes[pos] != b'\n' {
                    pos += 1;
                }
            }
            _ => break,
        }
    }
    pos
}

/// Where to resume after an error at `at`: the line of the error when the error is at
/// that line's first token, otherwise the next line that looks like a statement.
/// Always after `after` (where the failed statement began), so parsing moves on.
fn resume_point(text: &str, at: usize, after: usize) -> usize {
    let at = at.min(text.len());
    let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let mut candidate = if skip_blanks(text, line_start) == at && at > 0 {
        line_start
    } else {
        match text[at..].find('\n') {
            Some(i) => at + i + 1,
            None => return text.len(),
        }
    };
    loop {
        let start = skip_blanks(text, candidate);
        let line = text[start..].split('\n').next().unwrap_or("");
        if start > after && looks_like_statement(line) {
            return start;
        }
        match text[candidate..].find('\n') {
            Some(i) => candidate += i + 1,
            None => return text.len(),
        }
    }
}

/// A line that starts with a statement keyword or assigns with `=` (outside quotes,
/// and not part of `==`, `!=`, `<=`, `>=`). Lines inside a multi-line list or object
/// do not, so resuming there does not report their pieces as separate errors.
fn looks_like_statement(line: &str) -> bool {
    if Grammar::parse(Rule::statement_start, line).is_ok() {
        return true;
    }
    let bytes = line.as_bytes();
    let mut quote: Option<u8> = None;
    for (i, &b) in bytes.iter().enumerate() {
        match quote {
            Some(q) if b == q => quote = None,
            Some(_) => {}
            None => match b {
                b'"' | b'\'' | b'`' => quote = Some(b),
                b'#' => return false,
                b'=' => {
                    let before = i.checked_sub(1).map(|j| bytes[j]);
                    let after = bytes.get(i + 1).copied();
                    if !matches!(before, Some(b'=' | b'!' | b'<' | b'>')) && after != Some(b'=') {
                        return true;
                    }
                }
                _ => {}
            },
        }
    }
    false
}

fn skip_blanks(text: &str, mut pos: usize) -> usize {
    let bytes = text.as_bytes();
    while pos < bytes.len() && (bytes[pos] == b' ' || bytes[pos] == b'\t') {
        pos += 1;
    }
    pos
}

/// The end of the token starting at `pos` (for the caret under unexpected input): a
/// word, a quoted text up to its closing quote on the line, or one other character.
fn token_end(text: &str, pos: usize) -> usize {
    let rest = &text[pos.min(text.len())..];
    let mut chars = rest.char_indices();
    let Some((_, first)) = chars.next() else {
        return pos;
    };
    let word = |c: char| c.is_alphanumeric() || c == '_';
    let len = if word(first) {
        rest.char_indices()
            .find(|(_, c)| !word(*c))
            .map_or(rest.len(), |(i, _)| i)
    } else if matches!(first, '"' | '\'' | '`') {
        let line = rest.split('\n').next().unwrap_or(rest);
        line[1..].find(first).map_or(line.len(), |i| i + 2)
    } else {
        first.len_utf8()
    };
    pos + len
}

/// "`foo`", "the end of the line" or "the end of the file", for error messages.
fn describe_found(text: &str, pos: usize) -> String {
    let pos = pos.min(text.len());
    match text[pos..].chars().next() {
        None => "the end of the file".to_string(),
        Some('\n' | '\r') => "the end of the line".to_string(),
        Some(_) => {
            let token: String = text[pos..token_end(text, pos)].chars().take(30).collect();
            format!("`{token}`")
        }
    }
}

/// Tokens that close something, for "expected `)`" messages.
const CLOSERS: [&str; 4] = ["`)`", "`]`", "`}`", "`,`"];

/// Ways an expression could go on, left out of messages where a closer fits.
const CONTINUATIONS: [&str; 4] = ["an operator", "`(`", "`.`", "`[`"];

/// What a grammar rule means to a user, in "expected …" messages.
fn describe_rule(rule: Rule) -> &'static [&'static str] {
    match rule {
        Rule::statement
        | Rule::statement_item
        | Rule::import_stmt
        | Rule::let_stmt
        | Rule::skip_stmt
        | Rule::invalid_stmt
        | Rule::assign_stmt
        | Rule::kw_import
        | Rule::kw_let
        | Rule::kw_skip
        | Rule::kw_invalid => &["a statement"],
        Rule::target => &["a field name"],
        Rule::ident | Rule::quoted_ident | Rule::quoted_text => &["a name"],
        Rule::pipe_call => &["a function name"],
        Rule::op_assign => &["`=`"],
        Rule::kw_if => &["`if`"],
        Rule::kw_then => &["`then`"],
        Rule::kw_else => &["`else`"],
        Rule::colon => &["`:`"],
        Rule::comma => &["`,`"],
        Rule::open_paren => &["`(`"],
        Rule::close_paren => &["`)`"],
        Rule::close_bracket => &["`]`"],
        Rule::close_brace => &["`}`"],
        Rule::close_double => &["a closing `\"`"],
        Rule::close_single => &["a closing `'`"],
        Rule::close_backtick => &["a closing backtick"],
        Rule::escape => &["an escape (\\n, \\t, \\\", \\\\, \\u{…})"],
        Rule::text_double | Rule::text_single => &["text"],
        Rule::entry => &["an entry (`key: value`)"],
        Rule::index | Rule::star | Rule::integer => &["an index (a number, `*` or a quoted key)"],
        Rule::segment => &["`.`", "`[`"],
        Rule::op_coalesce
        | Rule::op_pipe
        | Rule::op_or
        | Rule::op_and
        | Rule::op_compare
        | Rule::op_add
        | Rule::op_sub
        | Rule::op_mul
        | Rule::op_div
        | Rule::op_rem => &["an operator"],
        // A statement is parsed on its own: its end of input is the end of its line.
        Rule::EOI | Rule::end_of_input => &["the end of the line"],
        _ => &["an expression"],
    }
}

struct Driver<'f> {
    file: &'f Arc<SourceFile>,
    /// Offset of the statement being built in the file.
    base: usize,
    diagnostics: Vec<Diagnostic>,
}

impl Driver<'_> {
    /// The span of a pair in the file, without the trailing white space and comments
    /// that pest includes in a rule's span.
    fn span(&self, pair: &Pair<'_, Rule>) -> Span {
        self.base + pair.as_span().start()..self.base + token_extent(pair)
    }

    fn name(&mut self, pair: &Pair<'_, Rule>) -> Name {
        let text = match pair.as_rule() {
            Rule::quoted_ident => pair.clone().into_inner().next().map_or("", |p| p.as_str()),
            Rule::string => {
                return Name {
                    text: self.string_value(pair.clone()),
                    span: self.span(pair),
                };
            }
            _ => pair.as_str(),
        };
        Name {
            text: text.to_string(),
            span: self.span(pair),
        }
    }

    /// Converts a pest error at `base` into a diagnostic; returns the error's offset too.
    fn syntax_error(&self, base: usize, error: &pest::error::Error<Rule>) -> (usize, Diagnostic) {
        let text = &self.file.text;
        let at = base
            + match error.location {
                InputLocation::Pos(p) => p,
                InputLocation::Span((s, _)) => s,
            };
        let mut at = at.min(text.len());
        // Line breaks are white space inside a statement, so pest reports a statement
        // that stops short at the next line's first token; the problem is at the end of
        // the line before.
        let before = text[..at].trim_end();
        if text[before.len()..at].contains('\n') && before.len() > base {
            at = before.len();
        }
        let found = describe_found(text, at);
        let message = match &error.variant {
            _ if text[at..].starts_with('\\') => {
                let escape: String = text[at..].chars().take(2).collect();
                format!("`{escape}` is not a valid escape")
            }
            ErrorVariant::ParsingError { positives, .. } => {
                let mut expected: Vec<&str> = positives
                    .iter()
                    .flat_map(|r| describe_rule(*r).iter().copied())
                    .collect();
                expected.sort_unstable();
                expected.dedup();
                // Where a closing bracket or a comma fits, the likely mistake is that it
                // is missing; the ways the expression could go on are noise.
                if expected.iter().any(|e| CLOSERS.contains(e)) {
                    expected.retain(|e| !CONTINUATIONS.contains(e));
                }
                if expected.contains(&"an operator") {
                    expected.retain(|e| *e != "`(`");
                }
                if expected.iter().any(|e| e.starts_with("a closing")) {
                    expected.retain(|e| e.starts_with("a closing"));
                    format!(
                        "unterminated text: expected {}, found {found}",
                        expected.join(" or ")
                    )
                } else if expected.is_empty() {
                    format!("unexpected {found}")
                } else {
                    format!("expected {}, found {found}", join_or(&expected))
                }
            }
            ErrorVariant::CustomError { message } => message.clone(),
        };
        let end = if text[at..].starts_with('\\') {
            at + text[at..]
                .chars()
                .take(2)
                .map(char::len_utf8)
                .sum::<usize>()
        } else if at < text.len() && !text[at..].starts_with(['\n', '\r']) {
            token_end(text, at)
        } else {
            at
        };
        let mut diagnostic =
            Diagnostic::error(SYNTAX_ERROR, message, self.file, at..end).with_label("here");
        if text[at..].starts_with('\\') {
            diagnostic = diagnostic
                .with_help("the escapes are \\n, \\t, \\r, \\\", \\', \\\\, \\/ and \\u{…}");
        }
        (at, diagnostic)
    }

    fn statement(&mut self, pair: Pair<'_, Rule>) -> Option<Stmt> {
        let span = self.span(&pair);
        let rule = pair.as_rule();
        let mut inner = pair.into_inner();
        let stmt = match rule {
            Rule::import_stmt => {
                let path = inner.find(|p| p.as_rule() == Rule::string)?;
                Stmt::Import {
                    path: self.name(&path),
                    span,
                }
            }
            Rule::let_stmt => {
                let name = inner.find(|p| p.as_rule() == Rule::ident)?;
                let value = inner.find(|p| p.as_rule() == Rule::expr)?;
                Stmt::Let {
                    name: self.name(&name),
                    value: self.expr(value),
                    span,
                }
            }
            Rule::skip_stmt => {
                let condition = inner.find(|p| p.as_rule() == Rule::expr)?;
                Stmt::Skip {
                    condition: self.expr(condition),
                    span,
                }
            }
            Rule::invalid_stmt => {
                let condition = inner.find(|p| p.as_rule() == Rule::expr)?;
                let message = inner.find(|p| p.as_rule() == Rule::string)?;
                Stmt::Invalid {
                    condition: self.expr(condition),
                    message: self.string_value(message),
                    span,
                }
            }
            Rule::assign_stmt => {
                let target = inner.next()?;
                let value = inner.find(|p| p.as_rule() == Rule::expr)?;
                let target = target.into_inner().map(|key| self.name(&key)).collect();
                Stmt::Assign {
                    target,
                    value: self.expr(value),
                    span,
                }
            }
            _ => return None,
        };
        Some(stmt)
    }

    fn expr(&mut self, pair: Pair<'_, Rule>) -> Expr {
        let span = self.span(&pair);
        match pair.as_rule() {
            Rule::expr | Rule::paren | Rule::primary => {
                let inner = pair
                    .into_inner()
                    .find(|p| !matches!(p.as_rule(), Rule::open_paren | Rule::close_paren));
                match inner {
                    Some(inner) => self.expr(inner),
                    None => self.literal(Value::Null, span),
                }
            }
            Rule::coalesce => self.binary_chain(pair),
            Rule::logic_or | Rule::logic_and | Rule::sum | Rule::product | Rule::comparison => {
                self.binary_chain(pair)
            }
            Rule::pipe => self.pipe(pair),
            Rule::logic_not | Rule::unary => {
                let mut ops = Vec::new();
                let mut operand = None;
                for part in pair.into_inner() {
                    match part.as_rule() {
                        Rule::op_not => ops.push((UnaryOp::Not, self.span(&part))),
                        Rule::op_neg => ops.push((UnaryOp::Neg, self.span(&part))),
                        _ => operand = Some(self.expr(part)),
                    }
                }
                let mut expr = operand.unwrap_or_else(|| self.literal(Value::Null, span.clone()));
                for (op, op_span) in ops.into_iter().rev() {
                    let span = op_span.start..expr.span.end;
                    expr = Expr {
                        kind: ExprKind::Unary(op, Box::new(expr)),
                        span,
                    };
                }
                expr
            }
            Rule::postfix => {
                let mut parts = pair.into_inner();
                let base = match parts.next() {
                    Some(primary) => self.expr(primary),
                    None => return self.literal(Value::Null, span),
                };
                let segments: Vec<Segment> = parts.filter_map(|s| self.segment(s)).collect();
                if segments.is_empty() {
                    base
                } else {
                    Expr {
                        kind: ExprKind::Access(Box::new(base), segments),
                        span,
                    }
                }
            }
            Rule::if_expr => {
                let mut branches = pair.into_inner().filter(|p| p.as_rule() == Rule::expr);
                let mut next = |driver: &mut Self| match branches.next() {
                    Some(p) => driver.expr(p),
                    None => driver.literal(Value::Null, span.clone()),
                };
                let condition = next(self);
                let then = next(self);
                let otherwise = next(self);
                Expr {
                    kind: ExprKind::If(Box::new(condition), Box::new(then), Box::new(otherwise)),
                    span,
                }
            }
            Rule::call => {
                let mut parts = pair.into_inner();
                let name = parts.next().map(|n| self.name(&n));
                let args = parts
                    .find(|p| p.as_rule() == Rule::call_args)
                    .map(|a| self.call_args(a))
                    .unwrap_or_default();
                let name = name.unwrap_or(Name {
                    text: String::new(),
                    span: span.clone(),
                });
                Expr {
                    kind: ExprKind::Call {
                        name,
                        args,
                        piped: false,
                    },
                    span,
                }
            }
            Rule::variable => {
                let name = pair
                    .into_inner()
                    .next()
                    .map_or("", |p| p.as_str())
                    .to_string();
                Expr {
                    kind: ExprKind::Variable(name),
                    span,
                }
            }
            Rule::element => Expr {
                kind: ExprKind::Element,
                span,
            },
            Rule::field => {
                let name = pair
                    .into_inner()
                    .next()
                    .map(|p| self.name(&p).text)
                    .unwrap_or_default();
                Expr {
                    kind: ExprKind::Field(name),
                    span,
                }
            }
            Rule::list => {
                let items = pair
                    .into_inner()
                    .filter(|p| p.as_rule() == Rule::expr)
                    .map(|p| self.expr(p))
                    .collect();
                Expr {
                    kind: ExprKind::List(items),
                    span,
                }
            }
            Rule::object => {
                let mut entries = Vec::new();
                for entry in pair.into_inner().filter(|p| p.as_rule() == Rule::entry) {
                    let mut parts = entry.into_inner();
                    let (Some(key), Some(value)) =
                        (parts.next(), parts.find(|p| p.as_rule() == Rule::expr))
                    else {
                        continue;
                    };
                    let key = self.name(&key);
                    entries.push((key, self.expr(value)));
                }
                Expr {
                    kind: ExprKind::Object(entries),
                    span,
                }
            }
            Rule::number => self.number(&pair),
            Rule::string => {
                let value = self.string_value(pair);
                self.literal(Value::String(value), span)
            }
            Rule::kw_true => self.literal(Value::Bool(true), span),
            Rule::kw_false => self.literal(Value::Bool(false), span),
            _ => self.literal(Value::Null, span),
        }
    }

    fn literal(&self, value: Value, span: Span) -> Expr {
        Expr {
            kind: ExprKind::Literal(value),
            span,
        }
    }

    /// A left-associative chain `a op b op c` (and the single comparison).
    fn binary_chain(&mut self, pair: Pair<'_, Rule>) -> Expr {
        let mut parts = pair.into_inner();
        let Some(first) = parts.next() else {
            return self.literal(Value::Null, 0..0);
        };
        let mut left = self.expr(first);
        while let (Some(op), Some(right)) = (parts.next(), parts.next()) {
            let op = binary_op(&op);
            let right = self.expr(right);
            let span = left.span.start..right.span.end;
            left = Expr {
                kind: ExprKind::Binary(op, Box::new(left), Box::new(right)),
                span,
            };
        }
        left
    }

    /// `x | f(a) | g` → `g(f(x, a))`.
    fn pipe(&mut self, pair: Pair<'_, Rule>) -> Expr {
        let mut parts = pair.into_inner();
        let Some(first) = parts.next() else {
            return self.literal(Value::Null, 0..0);
        };
        let mut value = self.expr(first);
        for part in parts {
            if part.as_rule() != Rule::pipe_call {
                continue;
            }
            let call_span = self.span(&part);
            let mut inner = part.into_inner();
            let Some(name) = inner.next() else { continue };
            let name = self.name(&name);
            let mut args = vec![value];
            if let Some(call_args) = inner.find(|p| p.as_rule() == Rule::call_args) {
                args.extend(self.call_args(call_args));
            }
            let span = args[0].span.start..call_span.end;
            value = Expr {
                kind: ExprKind::Call {
                    name,
                    args,
                    piped: true,
                },
                span,
            };
        }
        value
    }

    fn call_args(&mut self, pair: Pair<'_, Rule>) -> Vec<Expr> {
        pair.into_inner()
            .filter(|p| p.as_rule() == Rule::expr)
            .map(|p| self.expr(p))
            .collect()
    }

    fn segment(&mut self, pair: Pair<'_, Rule>) -> Option<Segment> {
        let inner = pair.into_inner().next()?;
        Some(match inner.as_rule() {
            Rule::ident | Rule::quoted_ident => Segment::Key(self.name(&inner).text),
            Rule::index => {
                let index = inner.into_inner().next()?;
                match index.as_rule() {
                    Rule::star => Segment::All,
                    Rule::string => Segment::Key(self.string_value(index)),
                    _ => match index.as_str().parse::<i64>() {
                        Ok(i) => Segment::Index(i),
                        Err(_) => {
                            let span = self.span(&index);
                            self.diagnostics.push(Diagnostic::error(
                                INVALID_LITERAL,
                                "this index is too large",
                                self.file,
                                span,
                            ));
                            Segment::Index(i64::MAX)
                        }
                    },
                }
            }
            _ => return None,
        })
    }

    fn number(&mut self, pair: &Pair<'_, Rule>) -> Expr {
        let span = self.span(pair);
        let text = pair.as_str();
        let is_float = text.contains(['.', 'e', 'E']);
        let value = if is_float {
            text.parse::<f64>()
                .ok()
                .filter(|f| f.is_finite())
                .and_then(Number::from_f64)
        } else {
            text.parse::<i64>().ok().map(Number::from)
        };
        match value {
            Some(n) => self.literal(Value::Number(n), span),
            None => {
                let diagnostic = Diagnostic::error(
                    INVALID_LITERAL,
                    "this number is out of range",
                    self.file,
                    span.clone(),
                );
                self.diagnostics.push(if is_float {
                    diagnostic.with_help("floats go up to about 1.8e308")
                } else {
                    diagnostic.with_help(
                        "integers go up to 9223372036854775807; write larger values as text",
                    )
                });
                self.literal(Value::Null, span)
            }
        }
    }

    /// The value of a string literal, with escapes decoded.
    fn string_value(&mut self, pair: Pair<'_, Rule>) -> String {
        let mut out = String::new();
        for part in pair.into_inner() {
            match part.as_rule() {
                Rule::text_double | Rule::text_single => out.push_str(part.as_str()),
                Rule::escape => match decode_escape(part.as_str()) {
                    Some(c) => out.push(c),
                    None => {
                        let span = self.span(&part);
                        self.diagnostics.push(Diagnostic::error(
                            INVALID_LITERAL,
                            format!("`{}` is not a valid character", part.as_str()),
                            self.file,
                            span,
                        ));
                    }
                },
                _ => {}
            }
        }
        out
    }
}

fn decode_escape(escape: &str) -> Option<char> {
    let body = escape.strip_prefix('\\')?;
    Some(match body {
        "n" => '\n',
        "t" => '\t',
        "r" => '\r',
        "0" => '\0',
        "\"" => '"',
        "'" => '\'',
        "\\" => '\\',
        "/" => '/',
        _ => {
            let hex = body.strip_prefix('u')?;
            let hex = hex
                .strip_prefix('{')
                .and_then(|h| h.strip_suffix('}'))
                .unwrap_or(hex);
            char::from_u32(u32::from_str_radix(hex, 16).ok()?)?
        }
    })
}

fn binary_op(pair: &Pair<'_, Rule>) -> BinaryOp {
    match (pair.as_rule(), pair.as_str()) {
        (Rule::op_coalesce, _) => BinaryOp::Coalesce,
        (Rule::op_or, _) => BinaryOp::Or,
        (Rule::op_and, _) => BinaryOp::And,
        (Rule::op_add, _) => BinaryOp::Add,
        (Rule::op_sub, _) => BinaryOp::Sub,
        (Rule::op_mul, _) => BinaryOp::Mul,
        (Rule::op_div, _) => BinaryOp::Div,
        (Rule::op_rem, _) => BinaryOp::Rem,
        (_, "==") => BinaryOp::Eq,
        (_, "!=") => BinaryOp::Ne,
        (_, "<") => BinaryOp::Lt,
        (_, "<=") => BinaryOp::Le,
        (_, ">") => BinaryOp::Gt,
        _ => BinaryOp::Ge,
    }
}

fn join_or(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => (*one).to_string(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_text(text: &str) -> (Vec<Stmt>, Vec<Diagnostic>) {
        parse(&SourceFile::new("t.map", text))
    }

    #[test]
    fn parses_every_statement_kind() {
        let (statements, errors) = parse_text(
            "import \"shared.map\"\nlet x = 1\na.b = x\nskip if a\ninvalid if b : \"no b\"\n",
        );
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(statements.len(), 5);
    }

    #[test]
    fn pipes_become_calls_with_the_input_first() {
        let (statements, _) = parse_text("x = a | f(1) | g");
        let Stmt::Assign { value, .. } = &statements[0] else {
            panic!("not an assignment")
        };
        let ExprKind::Call { name, args, piped } = &value.kind else {
            panic!("not a call")
        };
        assert_eq!(name.text, "g");
        assert!(piped);
        assert!(
            matches!(&args[0].kind, ExprKind::Call { name, args, .. } if name.text == "f" && args.len() == 2)
        );
    }

    #[test]
    fn reports_errors_on_several_lines() {
        let (statements, errors) = parse_text("a = (1\nb = 2\nc = 3 +\nd = 4\n");
        let lines: Vec<usize> = errors.iter().map(|e| e.line_col().0).collect();
        assert_eq!(lines, vec![1, 3], "{errors:#?}");
        assert_eq!(statements.len(), 2, "{statements:#?}");
    }

    #[test]
    fn two_statements_on_one_line_are_an_error() {
        let (_, errors) = parse_text("a = 1 b = 2\n");
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].line_col(), (1, 7));
    }

    #[test]
    fn deep_nesting_is_refused_not_overflowed() {
        let text = format!("a = {}1{}", "(".repeat(10_000), ")".repeat(10_000));
        let (_, errors) = parse_text(&text);
        assert_eq!(errors[0].code, TOO_DEEP);
        let ifs = "if true then ".repeat(300) + "1" + " else 2".repeat(300).as_str();
        let (_, errors) = parse_text(&format!("a = {ifs}"));
        assert_eq!(errors[0].code, TOO_DEEP);
    }

    #[test]
    fn unterminated_text_is_named() {
        let (_, errors) = parse_text("a = \"abc\nb = 1\n");
        assert!(errors[0].message.contains("unterminated"), "{errors:#?}");
    }
}
