//! The syntax tree of a mapping file, as parsed: every node keeps its byte span so that
//! the compiler can point at it. Nothing here is resolved yet (names are just names).

use std::ops::Range;

use super::value::Value;

pub type Span = Range<usize>;

/// A name with where it was written.
#[derive(Debug, Clone, PartialEq)]
pub struct Name {
    pub text: String,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Stmt {
    /// `address.city = expr`
    Assign {
        target: Vec<Name>,
        value: Expr,
        span: Span,
    },
    /// `let name = expr`
    Let { name: Name, value: Expr, span: Span },
    /// `skip if expr`
    Skip { condition: Expr, span: Span },
    /// `invalid if expr : "message"`
    Invalid {
        condition: Expr,
        message: String,
        span: Span,
    },
    /// `import "file.map"`
    Import { path: Name, span: Span },
}

impl Stmt {
    pub fn span(&self) -> &Span {
        match self {
            Stmt::Assign { span, .. }
            | Stmt::Let { span, .. }
            | Stmt::Skip { span, .. }
            | Stmt::Invalid { span, .. }
            | Stmt::Import { span, .. } => span,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    Literal(Value),
    List(Vec<Expr>),
    Object(Vec<(Name, Expr)>),
    /// A field of the source record: `email`, `` `first name` ``.
    Field(String),
    /// `$name`: a `let` binding, or one of `$vars`, `$out`, `$record`.
    Variable(String),
    /// `_`: the element inside a function argument (`map(_.id)`).
    Element,
    /// `.key`, `[0]`, `[-1]`, `[*]`, `["key"]` after any expression.
    Access(Box<Expr>, Vec<Segment>),
    /// `f(a, b)`, or `x | f(a)` (then `piped` and `x` is the first argument).
    Call {
        name: Name,
        args: Vec<Expr>,
        piped: bool,
    },
    Unary(UnaryOp, Box<Expr>),
    Binary(BinaryOp, Box<Expr>, Box<Expr>),
    If(Box<Expr>, Box<Expr>, Box<Expr>),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Segment {
    Key(String),
    Index(i64),
    /// `[*]`: the rest of the path, applied to every element.
    All,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnaryOp {
    Neg,
    Not,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryOp {
    Add,
    Sub,
    Mul,
    Div,
    Rem,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    And,
    Or,
    Coalesce,
}

impl BinaryOp {
    pub fn symbol(self) -> &'static str {
        match self {
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
            BinaryOp::Rem => "%",
            BinaryOp::Eq => "==",
            BinaryOp::Ne => "!=",
            BinaryOp::Lt => "<",
            BinaryOp::Le => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::Ge => ">=",
            BinaryOp::And => "and",
            BinaryOp::Or => "or",
            BinaryOp::Coalesce => "??",
        }
    }
}
