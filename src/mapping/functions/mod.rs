//! The functions of the mapping language: what every function declares (name, parameters,
//! documentation, examples), the argument API their implementations use, and the one
//! explicit registry that gathers them.
//!
//! Each built-in lives in its own small file under a folder per family and exposes a
//! `pub(crate) const` [`Function`]. A family's `mod.rs` lists its functions in `all()`;
//! [`builtins`] lists the families. Nothing registers itself behind the reader's back.
//!
//! The registry is open: later stages add functions that are not built in (Rhai-defined
//! functions, `link()`), through [`Registry::add_external`].

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use super::value::{self, Num, Value};

mod booleans;
mod contact;
mod encoding;
mod general;
mod lists;
mod lookup;
mod numbers;
mod objects;
mod text;
pub(crate) mod time;

pub(crate) use lookup::Table as LookupTable;

/// The families of built-in functions, in the order the reference lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Category {
    Text,
    Numbers,
    Booleans,
    Time,
    Lists,
    Objects,
    Lookup,
    Encoding,
    Contact,
    General,
}

impl Category {
    /// The heading of this family in the reference.
    pub fn title(self) -> &'static str {
        match self {
            Category::Text => "Text",
            Category::Numbers => "Numbers",
            Category::Booleans => "Booleans",
            Category::Time => "Dates and times",
            Category::Lists => "Lists",
            Category::Objects => "Objects",
            Category::Lookup => "Lookup tables",
            Category::Encoding => "Hashing and encoding",
            Category::Contact => "Contact data",
            Category::General => "General",
        }
    }
}

/// What kind of argument a parameter takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamKind {
    /// Any value, computed before the call.
    Value,
    /// A function applied to each element: a function name (`map(trim)`), a call with
    /// the element as first argument left out (`map(replace("-", ""))`), or an
    /// expression over `_`, the element (`filter(_ != "")`). Must be the last parameter.
    Function,
    /// Text written in quotes, known when the mapping compiles (the pipeline `link`
    /// reads from).
    Literal,
}

/// How many times a parameter may be given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arity {
    Required,
    Optional,
    /// Zero or more further arguments; only the last parameter can be variadic.
    Variadic,
}

/// One parameter of a function.
#[derive(Debug, Clone, Copy)]
pub struct Param {
    pub name: &'static str,
    pub kind: ParamKind,
    pub arity: Arity,
}

impl Param {
    pub const fn required(name: &'static str) -> Param {
        Param {
            name,
            kind: ParamKind::Value,
            arity: Arity::Required,
        }
    }
    /// A required parameter that must be text in quotes ([`ParamKind::Literal`]).
    pub const fn literal(name: &'static str) -> Param {
        Param {
            name,
            kind: ParamKind::Literal,
            arity: Arity::Required,
        }
    }
    pub const fn optional(name: &'static str) -> Param {
        Param {
            name,
            kind: ParamKind::Value,
            arity: Arity::Optional,
        }
    }
    pub const fn variadic(name: &'static str) -> Param {
        Param {
            name,
            kind: ParamKind::Value,
            arity: Arity::Variadic,
        }
    }
    pub const fn function(name: &'static str) -> Param {
        Param {
            name,
            kind: ParamKind::Function,
            arity: Arity::Required,
        }
    }
}

/// A documented example: an expression of the mapping language (evaluated against an
/// empty record) and the JSON it gives. Every example runs as a test.
#[derive(Debug, Clone, Copy)]
pub struct Example {
    pub expr: &'static str,
    pub result: &'static str,
}

/// What a function does with a null first argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nulls {
    /// A null first argument gives null without calling the function: a missing field
    /// stays missing (`middle_name | trim` is null when there is no middle name).
    Propagate,
    /// The function is called with the null and decides (`default`, `is_empty`, …).
    Accept,
}

/// A plain implementation: computes the result from the arguments.
pub type PlainFn = fn(&mut Args<'_, '_>) -> Result<Value, FnError>;

/// An implementation prepared once per call site, from the arguments that are constants
/// there (`None` for arguments only known at run time). Compiling a regex or a time
/// format belongs here; an error becomes a compile-time diagnostic on the call.
pub type PrepareFn = fn(&[Option<&Value>]) -> Result<Arc<dyn Call>, String>;

/// How a function is implemented.
#[derive(Clone, Copy)]
pub enum Imp {
    Plain(PlainFn),
    Prepared(PrepareFn),
}

/// A callable prepared for one call site (see [`PrepareFn`]), or an external function.
pub trait Call: Send + Sync {
    fn call(&self, args: &mut Args<'_, '_>) -> Result<Value, FnError>;
}

/// A built-in function: its documentation and its implementation.
#[derive(Clone, Copy)]
pub struct Function {
    pub name: &'static str,
    pub category: Category,
    /// One sentence for the reference.
    pub summary: &'static str,
    pub params: &'static [Param],
    pub examples: &'static [Example],
    pub nulls: Nulls,
    pub imp: Imp,
}

impl fmt::Debug for Function {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Function")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl Function {
    /// The fewest arguments a call can pass.
    pub fn min_args(&self) -> usize {
        self.params
            .iter()
            .filter(|p| p.arity == Arity::Required)
            .count()
    }

    /// The most arguments a call can pass; `None` when the last parameter is variadic.
    pub fn max_args(&self) -> Option<usize> {
        match self.params.last() {
            Some(p) if p.arity == Arity::Variadic => None,
            _ => Some(self.params.len()),
        }
    }

    /// The signature as the reference shows it: `pad_start(value, width, fill?)`.
    pub fn signature(&self) -> String {
        let params: Vec<String> = self
            .params
            .iter()
            .map(|p| match p.arity {
                Arity::Required => p.name.to_string(),
                Arity::Optional => format!("{}?", p.name),
                Arity::Variadic => format!("{}...", p.name),
            })
            .collect();
        format!("{}({})", self.name, params.join(", "))
    }
}

/// Why a function call failed at run time. The evaluator adds the destination field and
/// line; the message says what was wrong with which argument.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct FnError(pub String);

impl FnError {
    pub fn new(message: impl Into<String>) -> FnError {
        FnError(message.into())
    }
}

impl From<String> for FnError {
    fn from(message: String) -> FnError {
        FnError(message)
    }
}

/// A function applied per element by higher-order functions such as `map` and `filter`.
pub type Lambda<'a> = dyn FnMut(Value) -> Result<Value, FnError> + 'a;

/// The arguments of one call, with typed accessors whose errors name the function and
/// the parameter. Arguments that are absent (an optional parameter not given) read as null.
pub struct Args<'a, 'r> {
    function: &'a str,
    params: &'a [Param],
    values: &'a mut [Cow<'r, Value>],
    lambda: Option<&'a mut Lambda<'a>>,
}

impl<'a, 'r> Args<'a, 'r> {
    /// Arguments for a call of `function`, whose parameters are `params`.
    pub fn new(
        function: &'a str,
        params: &'a [Param],
        values: &'a mut [Cow<'r, Value>],
        lambda: Option<&'a mut Lambda<'a>>,
    ) -> Args<'a, 'r> {
        Args {
            function,
            params,
            values,
            lambda,
        }
    }

    /// How many value arguments were passed (function arguments are not counted).
    pub fn len(&self) -> usize {
        self.values.len()
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// Argument `i`, or null when it was not given.
    pub fn value(&self, i: usize) -> &Value {
        const NULL: &Value = &Value::Null;
        self.values.get(i).map_or(NULL, |v| v.as_ref())
    }

    /// All value arguments, from `i` on (for variadic parameters).
    pub fn rest(&self, i: usize) -> impl Iterator<Item = &Value> {
        self.values.iter().skip(i).map(|v| v.as_ref())
    }

    /// Argument `i`, owned: taken without copying when the evaluator owns it already.
    pub fn take(&mut self, i: usize) -> Value {
        match self.values.get_mut(i) {
            Some(slot) => std::mem::replace(slot, Cow::Owned(Value::Null)).into_owned(),
            None => Value::Null,
        }
    }

    /// True when argument `i` was given and is not null.
    pub fn has(&self, i: usize) -> bool {
        !self.value(i).is_null()
    }

    /// The name of parameter `i` (the variadic one for later positions).
    fn param_name(&self, i: usize) -> &str {
        self.params
            .get(i)
            .or(self.params.last())
            .map_or("argument", |p| p.name)
    }

    /// An error about argument `i`: "`pad_start`: `width` must be …".
    pub fn error(&self, i: usize, message: impl fmt::Display) -> FnError {
        FnError(format!(
            "{}: `{}` {}",
            self.function,
            self.param_name(i),
            message
        ))
    }

    /// An error about the call as a whole.
    pub fn fail(&self, message: impl fmt::Display) -> FnError {
        FnError(format!("{}: {}", self.function, message))
    }

    fn type_error(&self, i: usize, expected: &str) -> FnError {
        let got = value::describe(self.value(i));
        self.error(i, format_args!("must be {expected}, got {got}"))
    }

    /// Argument `i` as text: strings as they are, numbers and booleans formatted.
    pub fn text(&self, i: usize) -> Result<Cow<'_, str>, FnError> {
        value::as_text(self.value(i)).ok_or_else(|| self.type_error(i, "text"))
    }

    /// Argument `i` as text, or `None` when it is null or absent.
    pub fn opt_text(&self, i: usize) -> Result<Option<Cow<'_, str>>, FnError> {
        if self.value(i).is_null() {
            Ok(None)
        } else {
            self.text(i).map(Some)
        }
    }

    /// Argument `i` as a string, owned: moved out when possible, formatted for numbers.
    pub fn take_text(&mut self, i: usize) -> Result<String, FnError> {
        match self.value(i) {
            Value::String(_) => match self.take(i) {
                Value::String(s) => Ok(s),
                _ => Err(self.type_error(i, "text")),
            },
            _ => self.text(i).map(Cow::into_owned),
        }
    }

    /// Argument `i` as a string with room for `extra` more bytes: moved out when it is an
    /// owned string with that room already, otherwise copied once into a string of the
    /// full size (never copied and then grown).
    pub fn take_text_with_room(&mut self, i: usize, extra: usize) -> Result<String, FnError> {
        if let Some(Cow::Owned(Value::String(s))) = self.values.get(i)
            && s.capacity() - s.len() >= extra
        {
            return self.take_text(i);
        }
        let text = self.text(i)?;
        let mut out = String::with_capacity(text.len() + extra);
        out.push_str(&text);
        Ok(out)
    }

    /// Argument `i` as a number (integer or float); strings are not converted.
    pub fn num(&self, i: usize) -> Result<Num, FnError> {
        value::as_num(self.value(i)).ok_or_else(|| self.type_error(i, "a number"))
    }

    /// Argument `i` as an integer; a float with no fractional part is accepted.
    pub fn int(&self, i: usize) -> Result<i64, FnError> {
        match value::as_num(self.value(i)) {
            Some(Num::Int(n)) => Ok(n),
            Some(Num::Float(f)) if f.fract() == 0.0 && f.abs() < 9.0e15 => Ok(f as i64),
            _ => Err(self.type_error(i, "an integer")),
        }
    }

    /// Argument `i` as an integer, or `default` when it is null or absent.
    pub fn int_or(&self, i: usize, default: i64) -> Result<i64, FnError> {
        if self.value(i).is_null() {
            Ok(default)
        } else {
            self.int(i)
        }
    }

    /// Argument `i` as a boolean.
    pub fn bool(&self, i: usize) -> Result<bool, FnError> {
        self.value(i)
            .as_bool()
            .ok_or_else(|| self.type_error(i, "true or false"))
    }

    /// Argument `i` as a list.
    pub fn list(&self, i: usize) -> Result<&Vec<Value>, FnError> {
        self.value(i)
            .as_array()
            .ok_or_else(|| self.type_error(i, "a list"))
    }

    /// Argument `i` as a list, owned.
    pub fn take_list(&mut self, i: usize) -> Result<Vec<Value>, FnError> {
        match self.take(i) {
            Value::Array(items) => Ok(items),
            other => Err(self.error(
                i,
                format_args!("must be a list, got {}", value::describe(&other)),
            )),
        }
    }

    /// Argument `i` as an object, owned.
    pub fn take_object(&mut self, i: usize) -> Result<value::Map<String, Value>, FnError> {
        match self.take(i) {
            Value::Object(map) => Ok(map),
            other => Err(self.error(
                i,
                format_args!("must be an object, got {}", value::describe(&other)),
            )),
        }
    }

    /// Argument `i` as an object.
    pub fn object(&self, i: usize) -> Result<&value::Map<String, Value>, FnError> {
        self.value(i)
            .as_object()
            .ok_or_else(|| self.type_error(i, "an object"))
    }

    /// Applies the function argument to one element (for higher-order functions).
    pub fn apply(&mut self, element: Value) -> Result<Value, FnError> {
        match self.lambda.as_mut() {
            Some(lambda) => lambda(element),
            None => Err(FnError(format!(
                "{}: no function argument was given",
                self.function
            ))),
        }
    }
}

/// A function known to the compiler: a built-in or one added from outside.
#[derive(Clone)]
pub enum Entry {
    Builtin(&'static Function),
    External(Arc<External>),
}

/// A function defined outside the built-in library (a Rhai function, `link`).
pub struct External {
    pub name: String,
    pub params: Vec<Param>,
    pub summary: String,
    pub nulls: Nulls,
    pub call: Arc<dyn Call>,
}

impl Entry {
    pub fn name(&self) -> &str {
        match self {
            Entry::Builtin(f) => f.name,
            Entry::External(f) => &f.name,
        }
    }

    pub fn params(&self) -> &[Param] {
        match self {
            Entry::Builtin(f) => f.params,
            Entry::External(f) => &f.params,
        }
    }

    pub fn nulls(&self) -> Nulls {
        match self {
            Entry::Builtin(f) => f.nulls,
            Entry::External(f) => f.nulls,
        }
    }

    /// The fewest arguments a call can pass.
    pub fn min_args(&self) -> usize {
        self.params()
            .iter()
            .filter(|p| p.arity == Arity::Required)
            .count()
    }

    /// The most arguments a call can pass; `None` for a variadic last parameter.
    pub fn max_args(&self) -> Option<usize> {
        match self.params().last() {
            Some(p) if p.arity == Arity::Variadic => None,
            _ => Some(self.params().len()),
        }
    }
}

/// Every built-in function, family by family.
pub fn builtins() -> Vec<&'static Function> {
    let mut all = Vec::new();
    all.extend(text::all());
    all.extend(numbers::all());
    all.extend(booleans::all());
    all.extend(time::all());
    all.extend(lists::all());
    all.extend(objects::all());
    all.extend(lookup::all());
    all.extend(encoding::all());
    all.extend(contact::all());
    all.extend(general::all());
    all
}

/// The functions a mapping may call, by name.
#[derive(Clone)]
pub struct Registry {
    entries: BTreeMap<String, Entry>,
}

impl Default for Registry {
    fn default() -> Registry {
        Registry::builtin()
    }
}

impl Registry {
    /// The built-in functions.
    pub fn builtin() -> Registry {
        let entries = builtins()
            .into_iter()
            .map(|f| (f.name.to_string(), Entry::Builtin(f)))
            .collect();
        Registry { entries }
    }

    /// Adds (or replaces) a function that is not built in.
    pub fn add_external(&mut self, function: External) {
        let name = function.name.clone();
        self.entries
            .insert(name, Entry::External(Arc::new(function)));
    }

    pub fn get(&self, name: &str) -> Option<&Entry> {
        self.entries.get(name)
    }

    /// All names, sorted, for suggestions.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.entries.keys().map(String::as_str)
    }
}

/// Test support: calls a built-in directly with the given arguments (no lambda).
#[cfg(test)]
pub(crate) fn call_builtin(name: &str, args: &[Value]) -> Result<Value, FnError> {
    let function = builtins()
        .into_iter()
        .find(|f| f.name == name)
        .ok_or_else(|| FnError(format!("no built-in named {name}")))?;
    if function.nulls == Nulls::Propagate && args.first().is_none_or(Value::is_null) {
        return Ok(Value::Null);
    }
    let mut values: Vec<Cow<'_, Value>> = args.iter().map(Cow::Borrowed).collect();
    let mut call_args = Args::new(function.name, function.params, &mut values, None);
    match function.imp {
        Imp::Plain(f) => f(&mut call_args),
        Imp::Prepared(prepare) => {
            let consts: Vec<Option<&Value>> = args.iter().map(Some).collect();
            prepare(&consts).map_err(FnError)?.call(&mut call_args)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_lowercase() {
        let mut seen = std::collections::BTreeSet::new();
        for f in builtins() {
            assert!(seen.insert(f.name), "{} registered twice", f.name);
            assert!(
                f.name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c == '_' || c.is_ascii_digit())
            );
            assert!(!f.summary.is_empty(), "{} has no summary", f.name);
            assert!(!f.examples.is_empty(), "{} has no example", f.name);
        }
    }

    #[test]
    fn only_the_last_parameter_is_variadic_or_a_function() {
        for f in builtins() {
            let Some((_, init)) = f.params.split_last() else {
                continue;
            };
            for p in init {
                assert_ne!(p.arity, Arity::Variadic, "{}", f.name);
                assert_ne!(p.kind, ParamKind::Function, "{}", f.name);
            }
        }
    }
}
