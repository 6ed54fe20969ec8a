//! Compilation: statements → a [`Mapping`]. Resolves every name (functions, `let`
//! bindings, `$vars`, `$out`), checks argument counts, prepares functions whose setup
//! can be done once (regexes, time formats, lookup tables), folds constant operators,
//! inlines imported files, and reports every problem it finds, all at once.

use std::collections::BTreeSet;
use std::sync::Arc;

use super::ast::{BinaryOp, Expr, ExprKind, Name, Segment, Span, Stmt};
use super::codes;
use super::fast;
use super::functions::{Entry, Imp, ParamKind, Registry};
use super::keys::FieldName;
use super::ops;
use super::parse;
use super::program::{CallSite, Callee, Mapping, Node, Seg, Step};
use super::record::{Shape, ShapeNode};
use super::value::Value;
use crate::diagnostic::{Diagnostic, SourceFile, did_you_mean};

/// Reads the files that `import "…"` statements name. The mapping module does no I/O;
/// the caller decides where imports come from (the file system, a test's memory).
pub trait ImportResolver: Sync {
    /// The file that `path`, written in `from`, refers to; an error message otherwise.
    fn resolve(&self, from: &SourceFile, path: &str) -> Result<Arc<SourceFile>, String>;
}

/// A resolver for mappings that may not import anything (inline mappings in tests).
pub struct NoImports;

impl ImportResolver for NoImports {
    fn resolve(&self, _from: &SourceFile, path: &str) -> Result<Arc<SourceFile>, String> {
        Err(format!(
            "cannot import `{path}` here: imports are not available"
        ))
    }
}

/// What a mapping can refer to besides the source record.
pub struct Environment<'a> {
    pub functions: &'a Registry,
    /// The pipeline variables `$vars.name` may read; `None` when they are not known
    /// at compile time (then any name is accepted).
    pub vars: Option<&'a BTreeSet<String>>,
    pub imports: &'a dyn ImportResolver,
}

/// The result of compiling: a mapping when there was no error, and every diagnostic
/// (errors and warnings) in source order.
pub struct Compilation {
    pub mapping: Option<Mapping>,
    pub diagnostics: Vec<Diagnostic>,
    /// Every pipeline a `link` or `link_or_null` call names, and where (the catalog
    /// checks that they exist and come first).
    pub links: Vec<LinkRef>,
}

/// A pipeline named by a `link` call.
#[derive(Debug, Clone)]
pub struct LinkRef {
    pub pipeline: String,
    pub file: Arc<SourceFile>,
    pub span: Span,
}

impl Compilation {
    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics.iter().filter(|d| d.is_error())
    }
}

/// Names that `$` reads other than `let` bindings.
const RESERVED: [&str; 3] = ["vars", "out", "record"];

/// Compiles a mapping file (and the files it imports).
///
/// Parsing and compiling recurse once per level of nesting, and pest's generated parser
/// uses many frames per level; so the work runs on a thread of its own with a stack
/// large enough for the deepest nesting the parser admits, in debug builds too.
pub fn compile(file: &Arc<SourceFile>, env: &Environment<'_>) -> Compilation {
    // A thread that already has a compiling-size stack (such as the catalog's workers)
    // compiles in place: a fresh thread costs more than a small mapping's compilation.
    if stacker::remaining_stack().is_some_and(|left| left >= COMPILE_STACK / 2) {
        return compile_here(file, env);
    }
    std::thread::scope(|scope| {
        let worker = std::thread::Builder::new()
            .name("sluice-compile".to_string())
            .stack_size(COMPILE_STACK)
            .spawn_scoped(scope, || compile_here(file, env));
        match worker {
            Ok(handle) => match handle.join() {
                Ok(compilation) => compilation,
                Err(panic) => std::panic::resume_unwind(panic),
            },
            // No thread to be had: compile on this one (nesting stays within the limit).
            Err(_) => compile_here(file, env),
        }
    })
}

/// The stack of the compiling thread (reserved address space; only what is used is
/// backed by memory).
pub const COMPILE_STACK: usize = 256 << 20;

fn compile_here(file: &Arc<SourceFile>, env: &Environment<'_>) -> Compilation {
    let mut compiler = Compiler {
        env,
        diagnostics: Vec::new(),
        steps: Vec::new(),
        locals: Vec::new(),
        targets: Vec::new(),
        shape: Shape::default(),
        files: Vec::new(),
        element_depth: 0,
        source_fields: SourceFields::default(),
        links: Vec::new(),
    };
    compiler.file(file);
    crate::diagnostic::sort(&mut compiler.diagnostics);
    let has_errors = compiler.diagnostics.iter().any(Diagnostic::is_error);
    let mapping = (!has_errors).then(|| Mapping {
        steps: compiler.steps,
        local_count: compiler.locals.len(),
        slot_count: compiler.targets.len(),
        shape: Arc::new(compiler.shape),
        source_fields: compiler.source_fields.in_record_order(),
    });
    Compilation {
        mapping,
        diagnostics: compiler.diagnostics,
        links: compiler.links,
    }
}

/// A destination path assigned so far, and where.
struct Target {
    path: Vec<String>,
    /// Where it was assigned: "line 3", or "shared.map line 3".
    place: String,
}

struct Local {
    name: String,
    line: usize,
}

struct Compiler<'e> {
    env: &'e Environment<'e>,
    diagnostics: Vec<Diagnostic>,
    steps: Vec<Step>,
    locals: Vec<Local>,
    /// Every destination path assigned so far; the index is the path's slot.
    targets: Vec<Target>,
    /// The output layout built from `targets`.
    shape: Shape,
    /// The files being compiled: the mapping, then the chain of imports.
    files: Vec<Arc<SourceFile>>,
    /// How many function arguments deep we are (where `_` is defined).
    element_depth: usize,
    /// The top-level source fields the mapping reads.
    source_fields: SourceFields,
    /// The pipelines `link` calls name.
    links: Vec<LinkRef>,
}

impl Compiler<'_> {
    fn current(&self) -> Arc<SourceFile> {
        self.files
            .last()
            .cloned()
            .unwrap_or_else(|| SourceFile::new("", ""))
    }

    fn error(
        &mut self,
        code: &'static str,
        message: impl Into<String>,
        span: &Span,
    ) -> &mut Diagnostic {
        let file = self.current();
        self.diagnostics
            .push(Diagnostic::error(code, message, &file, span.clone()));
        let last = self.diagnostics.len() - 1;
        &mut self.diagnostics[last]
    }

    /// "line 3", or "shared.map line 3" inside an imported file.
    fn place(&self, span: &Span) -> String {
        let file = self.current();
        let (line, _) = file.line_col(span.start);
        if self.files.len() > 1 {
            format!("{} line {line}", file.name)
        } else {
            format!("line {line}")
        }
    }

    fn line(&self, span: &Span) -> usize {
        self.current().line_col(span.start).0
    }

    fn file(&mut self, file: &Arc<SourceFile>) {
        self.files.push(Arc::clone(file));
        let (statements, syntax_errors) = parse::parse(file);
        self.diagnostics.extend(syntax_errors);
        for statement in &statements {
            self.statement(statement);
        }
        self.files.pop();
    }

    fn statement(&mut self, statement: &Stmt) {
        match statement {
            Stmt::Import { path, .. } => self.import(path),
            Stmt::Let { name, value, span } => {
                let node = self.expr(value);
                let line = self.line(span);
                if RESERVED.contains(&name.text.as_str()) {
                    let message = format!("`${}` is reserved; choose another name", name.text);
                    self.error(codes::LET_NAME, message, &name.span);
                    return;
                }
                if let Some(earlier) = self.locals.iter().find(|l| l.name == name.text) {
                    let message = format!(
                        "`${}` is already defined (line {})",
                        name.text, earlier.line
                    );
                    self.error(codes::LET_NAME, message, &name.span).help =
                        Some("give the second value another name".to_string());
                    return;
                }
                let slot = self.locals.len();
                self.locals.push(Local {
                    name: name.text.clone(),
                    line,
                });
                let place = self.place(span);
                self.steps.push(Step::Let {
                    slot,
                    name: name.text.clone(),
                    value: node,
                    place,
                });
            }
            Stmt::Skip { condition, span } => {
                let condition = self.expr(condition);
                let place = self.place(span);
                self.steps.push(Step::Skip { condition, place });
            }
            Stmt::Invalid {
                condition,
                message,
                span,
            } => {
                let condition = self.expr(condition);
                let place = self.place(span);
                self.steps.push(Step::Invalid {
                    condition,
                    message: message.clone(),
                    place,
                });
            }
            Stmt::Assign {
                target,
                value,
                span,
            } => {
                let value = self.expr(value);
                let path: Vec<String> = target.iter().map(|n| n.text.clone()).collect();
                let target_span = match (target.first(), target.last()) {
                    (Some(first), Some(last)) => first.span.start..last.span.end,
                    _ => span.clone(),
                };
                if self.check_target(&path, &target_span) {
                    let field = path.join(".");
                    let place = self.place(span);
                    let slot = self.targets.len();
                    self.shape.add(&path, slot);
                    self.targets.push(Target {
                        path,
                        place: place.clone(),
                    });
                    let fast = fast::specialise(&value);
                    self.steps.push(Step::Assign {
                        slot,
                        field,
                        value,
                        fast,
                        place,
                    });
                }
            }
        }
    }

    /// Refuses a destination path that was assigned already, or that overlaps one
    /// (`address = …` and `address.city = …`).
    fn check_target(&mut self, path: &[String], span: &Span) -> bool {
        let clash = self.targets.iter().find(|t| {
            let common = t.path.len().min(path.len());
            t.path[..common] == path[..common]
        });
        let Some(clash) = clash else { return true };
        let (earlier, place) = (clash.path.join("."), clash.place.clone());
        let field = path.join(".");
        let message = if earlier == field {
            format!("the field `{field}` is assigned twice")
        } else {
            format!("the field `{field}` overlaps `{earlier}`, assigned before")
        };
        self.error(codes::ASSIGNED_TWICE, message, span).help = Some(format!(
            "the first assignment is on {place}; keep one of them"
        ));
        false
    }

    fn import(&mut self, path: &Name) {
        let current = self.current();
        match self.env.imports.resolve(&current, &path.text) {
            Err(message) => {
                self.error(codes::IMPORT, message, &path.span);
            }
            Ok(file) => {
                if let Some(position) = self.files.iter().position(|f| f.name == file.name) {
                    let chain: Vec<&str> = self.files[position..]
                        .iter()
                        .map(|f| f.name.as_str())
                        .chain([file.name.as_str()])
                        .collect();
                    let message = format!("import cycle: {}", chain.join(" → "));
                    self.error(codes::IMPORT, message, &path.span);
                } else {
                    self.file(&file);
                }
            }
        }
    }

    fn expr(&mut self, expr: &Expr) -> Node {
        match &expr.kind {
            ExprKind::Literal(value) => Node::Const(value.clone()),
            ExprKind::List(items) => {
                let nodes: Vec<Node> = items.iter().map(|item| self.expr(item)).collect();
                if nodes.iter().all(|n| matches!(n, Node::Const(_))) {
                    Node::Const(Value::Array(
                        nodes.into_iter().filter_map(into_const).collect(),
                    ))
                } else {
                    Node::List(nodes)
                }
            }
            ExprKind::Object(entries) => self.object(entries),
            ExprKind::Field(name) => {
                self.warn_shadowed_let(name, &expr.span);
                self.source_field(name, Vec::new())
            }
            ExprKind::Variable(name) => self.variable(name, Vec::new(), &expr.span),
            ExprKind::Element => self.element(Vec::new(), &expr.span),
            ExprKind::Access(base, segments) => {
                let segs: Vec<Seg> = segments.iter().map(seg).collect();
                match &base.kind {
                    ExprKind::Field(name) => {
                        self.warn_shadowed_let(name, &base.span);
                        self.source_field(name, segs)
                    }
                    ExprKind::Variable(name) => self.variable(name, segs, &expr.span),
                    ExprKind::Element => self.element(segs, &expr.span),
                    _ => Node::Access(Box::new(self.expr(base)), segs),
                }
            }
            ExprKind::Call { name, args, piped } => self.call(name, args, *piped),
            ExprKind::Unary(op, operand) => {
                let operand = self.expr(operand);
                if let Node::Const(v) = &operand
                    && let Ok(folded) = ops::unary(*op, v)
                {
                    return Node::Const(folded);
                }
                Node::Unary(*op, Box::new(operand))
            }
            ExprKind::Binary(op, left, right) => {
                let (left, right) = (self.expr(left), self.expr(right));
                fold_binary(*op, left, right)
            }
            ExprKind::If(condition, then, otherwise) => {
                let condition = self.expr(condition);
                let (then, otherwise) = (self.expr(then), self.expr(otherwise));
                match condition {
                    Node::Const(Value::Bool(true)) => then,
                    Node::Const(Value::Bool(false) | Value::Null) => otherwise,
                    condition => Node::If(Box::new(condition), Box::new(then), Box::new(otherwise)),
                }
            }
        }
    }

    fn object(&mut self, entries: &[(Name, Expr)]) -> Node {
        let mut seen = BTreeSet::new();
        let mut nodes = Vec::with_capacity(entries.len());
        for (key, value) in entries {
            if !seen.insert(key.text.as_str()) {
                let message = format!("the key `{}` appears twice in this object", key.text);
                self.error(codes::ASSIGNED_TWICE, message, &key.span);
            }
            nodes.push((key.text.clone(), self.expr(value)));
        }
        if nodes.iter().all(|(_, n)| matches!(n, Node::Const(_))) {
            let map = nodes
                .into_iter()
                .filter_map(|(k, n)| into_const(n).map(|v| (k, v)))
                .collect();
            Node::Const(Value::Object(map))
        } else {
            Node::Object(nodes)
        }
    }

    fn warn_shadowed_let(&mut self, name: &str, span: &Span) {
        if self.locals.iter().any(|l| l.name == name) {
            let file = self.current();
            self.diagnostics.push(
                Diagnostic::warning(
                    codes::SHADOWED_LET,
                    format!("`{name}` reads the source field `{name}`, not the `let` of that name"),
                    &file,
                    span.clone(),
                )
                .with_help(format!("write `${name}` to use the `let` binding")),
            );
        }
    }

    fn element(&mut self, path: Vec<Seg>, span: &Span) -> Node {
        if self.element_depth == 0 {
            self.error(
                codes::ELEMENT,
                "`_` is only defined inside a function argument",
                span,
            )
            .help = Some(
                "use `_` for the element in calls such as `map(_.id)` or `filter(_ != \"\")`"
                    .into(),
            );
        }
        Node::Element(path)
    }

    fn variable(&mut self, name: &str, path: Vec<Seg>, span: &Span) -> Node {
        match name {
            "record" => Node::Record(path),
            "vars" => {
                if let (Some(known), Some(Seg::Key(key))) = (self.env.vars, path.first())
                    && !known.contains(key)
                {
                    let suggestion = did_you_mean(key, known.iter().map(String::as_str));
                    let message = format!("there is no pipeline variable `{key}`");
                    let help = match suggestion {
                        Some(s) => format!("did you mean `$vars.{s}`?"),
                        None if known.is_empty() => "no variables are defined".to_string(),
                        None => {
                            let names: Vec<&str> = known.iter().map(String::as_str).collect();
                            format!("the variables are: {}", names.join(", "))
                        }
                    };
                    self.error(codes::UNKNOWN_PIPELINE_VAR, message, span).help = Some(help);
                }
                Node::Vars(path)
            }
            "out" => self.output(path, span),
            _ => match self.locals.iter().position(|l| l.name == name) {
                Some(slot) => Node::Local(slot, path),
                None => {
                    let candidates: Vec<&str> = self
                        .locals
                        .iter()
                        .map(|l| l.name.as_str())
                        .chain(RESERVED)
                        .collect();
                    let help = match did_you_mean(name, candidates.iter().copied()) {
                        Some(s) => format!("did you mean `${s}`?"),
                        None => format!(
                            "define it first with `let {name} = …`; pipeline variables are `$vars.{name}`"
                        ),
                    };
                    self.error(
                        codes::UNKNOWN_VARIABLE,
                        format!("unknown variable `${name}`"),
                        span,
                    )
                    .help = Some(help);
                    Node::Const(Value::Null)
                }
            },
        }
    }

    /// A top-level source field, then a path into it.
    fn source_field(&mut self, name: &str, path: Vec<Seg>) -> Node {
        Node::Field(self.source_fields.slot(name), path)
    }

    /// `$out…`: resolved against the fields assigned so far.
    fn output(&mut self, path: Vec<Seg>, span: &Span) -> Node {
        let keys: Vec<&str> = path
            .iter()
            .map_while(|s| {
                if let Seg::Key(k) = s {
                    Some(k.as_str())
                } else {
                    None
                }
            })
            .collect();
        if keys.is_empty() {
            return Node::OutObject(ShapeNode::Object(self.shape.fields.clone()), path);
        }
        match self.shape.find(&keys) {
            Some((ShapeNode::Slot(slot), used)) => Node::OutSlot(*slot, path[used..].to_vec()),
            Some((node @ ShapeNode::Object(_), used)) => {
                Node::OutObject(node.clone(), path[used..].to_vec())
            }
            None => {
                let field = keys.join(".");
                let assigned: Vec<String> = self.targets.iter().map(|t| t.path.join(".")).collect();
                let suggestion = did_you_mean(&field, assigned.iter().map(String::as_str));
                let message = format!("`$out.{field}` is read before `{field}` is assigned");
                let help = match suggestion {
                    Some(s) => format!("did you mean `$out.{s}`?"),
                    None => "fields can be read with `$out` only after the line that assigns them"
                        .to_string(),
                };
                self.error(codes::UNKNOWN_OUTPUT, message, span).help = Some(help);
                Node::Const(Value::Null)
            }
        }
    }

    fn call(&mut self, name: &Name, args: &[Expr], piped: bool) -> Node {
        let Some(entry) = self.env.functions.get(&name.text).cloned() else {
            let suggestion = did_you_mean(&name.text, self.env.functions.names());
            let message = format!("unknown function `{}`", name.text);
            let diagnostic = self.error(codes::UNKNOWN_FUNCTION, message, &name.span);
            diagnostic.help = Some(match suggestion {
                Some(s) => format!("did you mean `{s}`?"),
                None => "the README lists every function".to_string(),
            });
            for arg in args {
                self.expr(arg);
            }
            return Node::Const(Value::Null);
        };
        let implicit_element = piped && args.first().is_some_and(|a| a.kind == ExprKind::Element);
        if !self.check_arity(&entry, args.len(), piped, implicit_element, &name.span) {
            for arg in args {
                self.expr(arg);
            }
            return Node::Const(Value::Null);
        }
        let takes_function = entry
            .params()
            .last()
            .is_some_and(|p| p.kind == ParamKind::Function);
        let (value_args, function_arg) = match args.split_last() {
            Some((last, init)) if takes_function => (init, Some(last)),
            _ => (args, None),
        };
        let nodes: Vec<Node> = value_args.iter().map(|a| self.expr(a)).collect();
        self.check_literals(&entry, value_args, &nodes);
        if matches!(entry.name(), "link" | "link_or_null") {
            self.link_target(value_args, &nodes);
        }
        let lambda = function_arg.map(|f| self.function_argument(f));
        let callee = match &entry {
            Entry::Builtin(f) => match f.imp {
                Imp::Plain(plain) => Callee::Plain(plain),
                Imp::Prepared(prepare) => {
                    let consts: Vec<Option<&Value>> = nodes
                        .iter()
                        .map(|n| {
                            if let Node::Const(v) = n {
                                Some(v)
                            } else {
                                None
                            }
                        })
                        .collect();
                    match prepare(&consts) {
                        Ok(bound) => Callee::Bound(bound),
                        Err(message) => {
                            let message = format!("{}: {message}", f.name);
                            self.error(codes::INVALID_ARGUMENT, message, &name.span);
                            return Node::Const(Value::Null);
                        }
                    }
                }
            },
            Entry::External(f) => Callee::Bound(Arc::clone(&f.call)),
        };
        Node::Call(Box::new(CallSite {
            name: entry.name().to_string(),
            builtin: matches!(entry, Entry::Builtin(_)),
            params: entry.params().to_vec(),
            nulls: entry.nulls(),
            callee,
            args: nodes,
            lambda,
        }))
    }

    /// Arguments of literal parameters must be text in quotes.
    fn check_literals(&mut self, entry: &Entry, args: &[Expr], nodes: &[Node]) {
        for (i, param) in entry.params().iter().enumerate() {
            if param.kind != ParamKind::Literal {
                continue;
            }
            let (Some(arg), Some(node)) = (args.get(i), nodes.get(i)) else {
                continue;
            };
            if !matches!(node, Node::Const(Value::String(_))) {
                let function = entry.name();
                let message = format!(
                    "{function}: `{}` must be text in quotes, known before the run",
                    param.name
                );
                self.error(codes::INVALID_ARGUMENT, message, &arg.span).help = Some(format!(
                    "for example `session_id | {function}(\"sessions\")`"
                ));
            }
        }
    }

    /// Notes the pipeline a `link` call names.
    fn link_target(&mut self, args: &[Expr], nodes: &[Node]) {
        if let (Some(arg), Some(Node::Const(Value::String(pipeline)))) = (args.get(1), nodes.get(1))
        {
            let file = self.current();
            self.links.push(LinkRef {
                pipeline: pipeline.clone(),
                file,
                span: arg.span.clone(),
            });
        }
    }

    fn check_arity(
        &mut self,
        entry: &Entry,
        given: usize,
        piped: bool,
        implicit_element: bool,
        span: &Span,
    ) -> bool {
        let (min, max) = (entry.min_args(), entry.max_args());
        if given >= min && max.is_none_or(|max| given <= max) {
            return true;
        }
        let expected = match max {
            Some(0) => "no arguments".to_string(),
            None => format!("at least {min} argument{}", plural(min)),
            Some(max) if max == min => format!("{min} argument{}", plural(min)),
            Some(max) if max == min + 1 => format!("{min} or {max} arguments"),
            Some(max) => format!("{min} to {max} arguments"),
        };
        let names: Vec<&str> = entry.params().iter().map(|p| p.name).collect();
        let message = format!(
            "`{}` takes {expected}{}, but {given} {} given",
            entry.name(),
            if names.is_empty() {
                String::new()
            } else {
                format!(" ({})", names.join(", "))
            },
            if given == 1 { "is" } else { "are" }
        );
        let diagnostic = self.error(codes::ARGUMENT_COUNT, message, span);
        if implicit_element {
            diagnostic.help = Some(
                "in a function argument such as `map(f(a))`, the element is the first argument"
                    .to_string(),
            );
        } else if piped {
            diagnostic.help =
                Some("in `x | f(a)`, the value before `|` is the first argument".to_string());
        }
        false
    }

    /// The function argument of `map`, `filter`…: an expression over `_`, a function
    /// name (`trim` means `trim(_)`), or a call whose first argument is left out
    /// (`replace("-", "")` means `replace(_, "-", "")`).
    fn function_argument(&mut self, arg: &Expr) -> Node {
        let element = Expr {
            kind: ExprKind::Element,
            span: arg.span.clone(),
        };
        let body = if mentions_element(arg) {
            arg.clone()
        } else {
            match &arg.kind {
                ExprKind::Field(name) if self.env.functions.get(name).is_some() => Expr {
                    kind: ExprKind::Call {
                        name: Name {
                            text: name.clone(),
                            span: arg.span.clone(),
                        },
                        args: vec![element],
                        piped: true,
                    },
                    span: arg.span.clone(),
                },
                ExprKind::Call {
                    name,
                    args,
                    piped: false,
                } => {
                    let mut with_element = vec![element];
                    with_element.extend(args.iter().cloned());
                    Expr {
                        kind: ExprKind::Call {
                            name: name.clone(),
                            args: with_element,
                            piped: true,
                        },
                        span: arg.span.clone(),
                    }
                }
                ExprKind::Field(name)
                    if did_you_mean(name, self.env.functions.names()).is_some() =>
                {
                    let suggestion =
                        did_you_mean(name, self.env.functions.names()).unwrap_or_default();
                    self.error(
                        codes::UNKNOWN_FUNCTION,
                        format!("unknown function `{name}`"),
                        &arg.span,
                    )
                    .help = Some(format!("did you mean `{suggestion}`?"));
                    return Node::Const(Value::Null);
                }
                _ => {
                    let message = "expected a function here: a name such as `trim`, a call such as \
                                   `replace(\"-\", \"\")`, or an expression using `_`";
                    self.error(codes::ELEMENT, message, &arg.span);
                    return Node::Const(Value::Null);
                }
            }
        };
        self.element_depth += 1;
        let node = self.expr(&body);
        self.element_depth -= 1;
        node
    }
}

/// The top-level source fields a mapping reads, each with a slot. Records are read
/// once per record into those slots (see `eval`), so a field costs no search when used.
#[derive(Default)]
struct SourceFields {
    names: Vec<String>,
}

impl SourceFields {
    fn slot(&mut self, name: &str) -> usize {
        match self.names.iter().position(|n| n == name) {
            Some(slot) => slot,
            None => {
                self.names.push(name.to_string());
                self.names.len() - 1
            }
        }
    }

    /// The fields in the order of a record's keys, for a single merge pass.
    fn in_record_order(&self) -> Vec<FieldName> {
        let mut fields: Vec<FieldName> = self
            .names
            .iter()
            .cloned()
            .enumerate()
            .map(|(slot, name)| FieldName::new(name, slot))
            .collect();
        fields.sort_by(|a, b| a.name.cmp(&b.name));
        fields
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn seg(segment: &Segment) -> Seg {
    match segment {
        Segment::Key(key) => Seg::Key(key.clone()),
        Segment::Index(i) => Seg::Index(*i),
        Segment::All => Seg::All,
    }
}

fn into_const(node: Node) -> Option<Value> {
    match node {
        Node::Const(v) => Some(v),
        _ => None,
    }
}

/// Whether `_` appears in an expression.
fn mentions_element(expr: &Expr) -> bool {
    match &expr.kind {
        ExprKind::Element => true,
        ExprKind::Literal(_) | ExprKind::Field(_) | ExprKind::Variable(_) => false,
        ExprKind::List(items) => items.iter().any(mentions_element),
        ExprKind::Object(entries) => entries.iter().any(|(_, e)| mentions_element(e)),
        ExprKind::Access(base, _) => mentions_element(base),
        ExprKind::Call { args, .. } => args.iter().any(mentions_element),
        ExprKind::Unary(_, e) => mentions_element(e),
        ExprKind::Binary(_, l, r) => mentions_element(l) || mentions_element(r),
        ExprKind::If(c, t, o) => mentions_element(c) || mentions_element(t) || mentions_element(o),
    }
}

/// Folds an operator whose operands are constants; an operation that would fail is
/// left for run time, where it makes the record Invalid with a clear message.
fn fold_binary(op: BinaryOp, left: Node, right: Node) -> Node {
    match (op, &left, &right) {
        (BinaryOp::Coalesce, Node::Const(v), _) if !v.is_null() => left,
        (BinaryOp::Coalesce, Node::Const(Value::Null), _) => right,
        (BinaryOp::And | BinaryOp::Or | BinaryOp::Coalesce, _, _) => {
            Node::Binary(op, Box::new(left), Box::new(right))
        }
        (_, Node::Const(a), Node::Const(b)) => match ops::binary(op, a, b) {
            Ok(v) => Node::Const(v),
            Err(_) => Node::Binary(op, Box::new(left), Box::new(right)),
        },
        _ => Node::Binary(op, Box::new(left), Box::new(right)),
    }
}
