//! Text expressions specialised when a mapping compiles: the common shapes of an
//! assignment (a source field or a constant, piped through `trim`, `lower`, `upper`,
//! `required`, `concat`, `+` on text, `??`, `lookup` with a constant table, `parse_time` with a
//! constant format and zone) evaluated on borrowed text, without building a JSON value
//! for every step.
//!
//! The fast path never decides anything the ordinary evaluator would decide otherwise:
//! it answers only for text and null, and gives up (`None`) on anything else — a number
//! to format, an empty `required` value, a time that does not parse. The evaluator then
//! evaluates the assignment the ordinary way, which gives the same value or the error
//! message. These functions have no side effects, so evaluating twice is harmless.

use compact_str::CompactString;

use super::ast::BinaryOp;
use super::functions::LookupTable;
use super::functions::time::FixedParseTime;
use super::ops;
use super::program::{CallSite, Node};
use super::record::Slot;
use super::value::{self, Value};
use crate::formats::compact::{write_compact, write_text};

/// An assignment's expression, specialised (see the module documentation).
pub(crate) enum Text {
    Leaf(Leaf),
    Concat(Box<[Text]>),
    /// `a + b + …` on text: null joins as nothing, and all null gives null.
    Join(Box<[Text]>),
    /// `??`
    Coalesce(Box<Text>, Box<Text>),
    /// A value piped through functions of one text argument, in order.
    Pipe(Box<Text>, Box<[Op]>),
    /// `if left OP right then … else …`, comparing two leaves.
    If(Box<(BinaryOp, Leaf, Leaf)>, Box<Text>, Box<Text>),
}

/// A value read without computing anything.
pub(crate) enum Leaf {
    /// A top-level source field, by field slot.
    Field(usize),
    Const(Value),
}

/// A function of one text argument (its other arguments are constants).
pub(crate) enum Op {
    Trim,
    Lower,
    Upper,
    Required,
    /// `lookup` with a constant table; the default (null when left out).
    Lookup(Box<LookupTable>, Value),
    ParseTime(Box<FixedParseTime>),
}

/// How deeply specialised expressions may nest. The fast path evaluates by recursion
/// without the evaluator's stack checks, so deeper expressions (rare in real mappings)
/// are left to the evaluator, which grows the stack as it goes.
const MAX_DEPTH: usize = 24;

/// The specialised form of `node`, when it has one.
pub(crate) fn specialise(node: &Node) -> Option<Text> {
    specialise_at(node, 0)
}

fn specialise_at(node: &Node, depth: usize) -> Option<Text> {
    if depth > MAX_DEPTH {
        return None;
    }
    let specialise = |node: &Node| specialise_at(node, depth + 1);
    match node {
        Node::Const(_) | Node::Field(..) => leaf(node).map(Text::Leaf),
        Node::Binary(BinaryOp::Add, left, right) => {
            // `+` is associative on text and null, so a chain is one join.
            let mut parts = Vec::new();
            for side in [left, right] {
                match specialise(side)? {
                    Text::Join(more) => parts.extend(more.into_vec()),
                    part => parts.push(part),
                }
            }
            Some(Text::Join(parts.into_boxed_slice()))
        }
        Node::Binary(BinaryOp::Coalesce, left, right) => Some(Text::Coalesce(
            Box::new(specialise(left)?),
            Box::new(specialise(right)?),
        )),
        Node::If(condition, then, otherwise) => {
            let Node::Binary(
                op @ (BinaryOp::Eq
                | BinaryOp::Ne
                | BinaryOp::Lt
                | BinaryOp::Le
                | BinaryOp::Gt
                | BinaryOp::Ge),
                left,
                right,
            ) = condition.as_ref()
            else {
                return None;
            };
            Some(Text::If(
                Box::new((*op, leaf(left)?, leaf(right)?)),
                Box::new(specialise(then)?),
                Box::new(specialise(otherwise)?),
            ))
        }
        Node::Call(site) => call(site, depth),
        _ => None,
    }
}

fn leaf(node: &Node) -> Option<Leaf> {
    match node {
        Node::Const(v) => Some(Leaf::Const(v.clone())),
        Node::Field(slot, path) if path.is_empty() => Some(Leaf::Field(*slot)),
        _ => None,
    }
}

fn call(site: &CallSite, depth: usize) -> Option<Text> {
    if !site.builtin || site.lambda.is_some() {
        return None;
    }
    let specialise = |node: &Node| specialise_at(node, depth + 1);
    let constant = |i: usize| match site.args.get(i) {
        None => Some(&Value::Null),
        Some(Node::Const(v)) => Some(v),
        Some(_) => None,
    };
    let op = match (site.name.as_str(), site.args.len()) {
        ("trim", 1) => Op::Trim,
        ("lower", 1) => Op::Lower,
        ("upper", 1) => Op::Upper,
        ("required", 1) => Op::Required,
        ("concat", _) => {
            return Some(Text::Concat(
                site.args.iter().map(specialise).collect::<Option<_>>()?,
            ));
        }
        ("lookup", 2 | 3) => {
            let Value::Object(table) = constant(1)? else {
                return None;
            };
            Op::Lookup(Box::new(LookupTable::new(table)), constant(2)?.clone())
        }
        ("parse_time", 1..=3) => {
            Op::ParseTime(Box::new(FixedParseTime::new(constant(1)?, constant(2)?)?))
        }
        _ => return None,
    };
    // `x | trim | lower` is one pipe of two functions.
    Some(match specialise(site.args.first()?)? {
        Text::Pipe(source, ops) => {
            let mut ops = ops.into_vec();
            ops.push(op);
            Text::Pipe(source, ops.into_boxed_slice())
        }
        source => Text::Pipe(Box::new(source), Box::new([op])),
    })
}

/// An intermediate result: null, text (borrowed or built), or another value, borrowed.
///
/// `repr(u8)` gives the variant a byte of its own in front. Left to itself, the
/// compiler keeps it in the last byte of a built text's storage, so passing a borrowed
/// text on (`?`, a match) read that byte and the length together in one word just
/// after writing them separately, which stalls the processor (store forwarding fails).
#[repr(u8)]
pub(crate) enum Val<'a> {
    Null,
    Str(&'a str),
    Own(CompactString),
    Other(&'a Value),
}

impl<'a> Val<'a> {
    #[inline(always)]
    fn of(value: &'a Value) -> Val<'a> {
        match value {
            Value::Null => Val::Null,
            Value::String(text) => Val::Str(text),
            other => Val::Other(other),
        }
    }

    fn text(&self) -> Option<&str> {
        match self {
            Val::Str(text) => Some(text),
            Val::Own(text) => Some(text),
            Val::Null | Val::Other(_) => None,
        }
    }

    /// Appends this value as compact JSON, as `serde_json` writes it.
    pub(crate) fn write_json(&self, out: &mut Vec<u8>) -> Result<(), serde_json::Error> {
        match self {
            Val::Null => {
                out.extend_from_slice(b"null");
                Ok(())
            }
            Val::Str(text) => write_text(out, text),
            Val::Own(text) => write_text(out, text),
            Val::Other(value) => write_compact(out, *value),
        }
    }

    #[inline(always)]
    fn push_to(self, out: &mut Vec<Slot>) {
        match self {
            Val::Null => out.push(Slot::Value(Value::Null)),
            Val::Str(text) => out.push(Slot::Text(CompactString::new(text))),
            Val::Own(text) => out.push(Slot::Text(text)),
            Val::Other(value) => out.push(Slot::Value(value.clone())),
        }
    }
}

/// Where the fast path reads the source fields from, by field slot: a record's values,
/// or the text fields of a CSV row ([`super::rows`]).
pub(crate) trait Fields<'a> {
    /// A field as an operand.
    fn operand(&self, slot: usize) -> Option<Val<'a>>;
    /// A field as a JSON value, for comparisons; `None` makes the fast path give up.
    fn value(&self, slot: usize) -> Option<&'a Value>;
}

impl<'a> Fields<'a> for [&'a Value] {
    #[inline(always)]
    fn operand(&self, slot: usize) -> Option<Val<'a>> {
        self.get(slot).map(|v| Val::of(v))
    }

    #[inline]
    fn value(&self, slot: usize) -> Option<&'a Value> {
        self.get(slot).copied()
    }
}

/// A top-level field of a record read in place (see [`Mapping::apply_fields`]).
///
/// [`Mapping::apply_fields`]: super::Mapping::apply_fields
#[derive(Debug, Clone, Copy)]
pub enum FieldValue<'a> {
    Null,
    Text(&'a str),
    /// Anything but text and null.
    Value(&'a Value),
}

static NULL: Value = Value::Null;

impl<'a> Fields<'a> for [FieldValue<'a>] {
    #[inline(always)]
    fn operand(&self, slot: usize) -> Option<Val<'a>> {
        Some(match self.get(slot)? {
            FieldValue::Null => Val::Null,
            FieldValue::Text(text) => Val::Str(text),
            FieldValue::Value(value) => Val::of(value),
        })
    }

    /// Text has no JSON value to compare here: a comparison with a text field is left
    /// to the evaluator.
    fn value(&self, slot: usize) -> Option<&'a Value> {
        match self.get(slot)? {
            FieldValue::Null => Some(&NULL),
            FieldValue::Text(_) => None,
            FieldValue::Value(value) => Some(value),
        }
    }
}

/// A row's text fields (`None`: the column is not in the file, so the field is null).
impl<'a> Fields<'a> for [Option<&'a str>] {
    #[inline]
    fn operand(&self, slot: usize) -> Option<Val<'a>> {
        Some(match self.get(slot)? {
            Some(text) => Val::Str(text),
            None => Val::Null,
        })
    }

    fn value(&self, _slot: usize) -> Option<&'a Value> {
        None
    }
}

/// Evaluates `text` on the record's fields and appends the value to `out`; `false`
/// (with `out` as it was) when the ordinary evaluator must.
///
/// The value goes straight from the registers it is made in to its place in `out`:
/// returning it to the caller, which copied it again with wider loads than the stores
/// that had written it, stalled the processor (store forwarding fails) at every field.
#[inline]
pub(crate) fn eval_into<'a, F: Fields<'a> + ?Sized>(
    text: &'a Text,
    fields: &F,
    out: &mut Vec<Slot>,
) -> bool {
    match text {
        Text::Leaf(leaf) => operand_leaf(leaf, fields).map(|v| v.push_to(out)),
        _ => value_then(text, fields, |value| value.push_to(out)),
    }
    .is_some()
}

/// Evaluates `text` on the record's fields and hands the value to `then`; `None` when
/// the ordinary evaluator must.
#[inline]
pub(crate) fn eval_with<'a, F: Fields<'a> + ?Sized, R>(
    text: &'a Text,
    fields: &F,
    then: impl FnOnce(Val<'a>) -> R,
) -> Option<R> {
    match text {
        Text::Leaf(leaf) => operand_leaf(leaf, fields).map(then),
        _ => value_then(text, fields, then),
    }
}

/// Evaluates `text` on a row's text fields, for writing; `None` when the ordinary
/// evaluator must.
pub(crate) fn eval_text<'a>(text: &'a Text, fields: &[Option<&'a str>]) -> Option<Val<'a>> {
    operand(text, fields)
}

/// [`value_of`], with leaves (the most common operands) read in line rather than by
/// a recursive call.
#[inline(always)]
pub(crate) fn operand<'a, F: Fields<'a> + ?Sized>(text: &'a Text, fields: &F) -> Option<Val<'a>> {
    match text {
        Text::Leaf(leaf) => operand_leaf(leaf, fields),
        _ => value_of(text, fields),
    }
}

#[inline]
fn leaf_value<'a, F: Fields<'a> + ?Sized>(leaf: &'a Leaf, fields: &F) -> Option<&'a Value> {
    match leaf {
        Leaf::Field(slot) => fields.value(*slot),
        Leaf::Const(v) => Some(v),
    }
}

fn value_of<'a, F: Fields<'a> + ?Sized>(text: &'a Text, fields: &F) -> Option<Val<'a>> {
    value_then(text, fields, |value| value)
}

/// [`value_of`], handing the value to `then` where it is made (in registers, mostly),
/// rather than through the memory a returned value passes.
#[inline(always)]
fn value_then<'a, F: Fields<'a> + ?Sized, R>(
    text: &'a Text,
    fields: &F,
    then: impl FnOnce(Val<'a>) -> R,
) -> Option<R> {
    Some(then(match text {
        Text::Leaf(leaf) => operand_leaf(leaf, fields)?,
        Text::Pipe(source, ops) => {
            let mut value = operand(source, fields)?;
            for op in ops {
                value = apply(op, value)?;
            }
            value
        }
        Text::Concat(parts) => Val::Own(join(parts, fields)?.0),
        Text::Join(parts) => match join(parts, fields)? {
            (text, true) => Val::Own(text),
            (_, false) => Val::Null,
        },
        Text::Coalesce(left, right) => match operand(left, fields)? {
            Val::Null => operand(right, fields)?,
            v => v,
        },
        Text::If(condition, then, otherwise) => {
            let (op, left, right) = condition.as_ref();
            let (left, right) = (leaf_value(left, fields)?, leaf_value(right, fields)?);
            let holds = ops::binary(*op, left, right).ok()?;
            if ops::truth(&holds, "if").ok()? {
                operand(then, fields)?
            } else {
                operand(otherwise, fields)?
            }
        }
    }))
}

/// The parts' texts one after the other, null parts left out, and whether any part
/// was text; `None` when a part is another kind of value (numbers add, and the rest is
/// the evaluator's to judge).
#[inline(always)]
fn join<'a, F: Fields<'a> + ?Sized>(
    parts: &'a [Text],
    fields: &F,
) -> Option<(CompactString, bool)> {
    let mut out = CompactString::default();
    let mut any_text = false;
    for part in parts {
        match operand(part, fields)? {
            Val::Null => continue,
            Val::Str(s) => out.push_str(s),
            Val::Own(s) => out.push_str(&s),
            Val::Other(_) => return None,
        }
        any_text = true;
    }
    Some((out, any_text))
}

#[inline(always)]
fn operand_leaf<'a, F: Fields<'a> + ?Sized>(leaf: &'a Leaf, fields: &F) -> Option<Val<'a>> {
    match leaf {
        Leaf::Field(slot) => fields.operand(*slot),
        Leaf::Const(v) => Some(Val::of(v)),
    }
}

/// One function of a pipe, applied to the value so far. Always in line: a call
/// would pass the value through memory at every step.
#[inline(always)]
pub(crate) fn apply<'a>(op: &'a Op, value: Val<'a>) -> Option<Val<'a>> {
    Some(match op {
        Op::Trim => match value {
            Val::Null => Val::Null,
            Val::Str(s) => Val::Str(value::trim_text(s)),
            Val::Own(s) => {
                let trimmed = value::trim_text(&s);
                if trimmed.len() == s.len() {
                    Val::Own(s)
                } else {
                    Val::Own(CompactString::new(trimmed))
                }
            }
            Val::Other(_) => return None,
        },
        Op::Lower => change_case(value, Case::Lower)?,
        Op::Upper => change_case(value, Case::Upper)?,
        Op::Required => match value {
            Val::Null => return None,
            Val::Other(v) if value::is_empty(v) => return None,
            v => {
                if v.text().is_some_and(|s| value::trim_text(s).is_empty()) {
                    return None;
                }
                v
            }
        },
        Op::Lookup(table, default) => match value {
            Val::Null => Val::of(default),
            Val::Other(_) => return None,
            key => Val::of(table.get(key.text()?).unwrap_or(default)),
        },
        Op::ParseTime(parser) => match value {
            Val::Null => Val::Null,
            Val::Other(_) => return None,
            v => Val::Own(parser.parse(v.text()?, |t| CompactString::new(t))?),
        },
    })
}

#[derive(Clone, Copy)]
enum Case {
    Lower,
    Upper,
}

/// `lower` and `upper`: ASCII text changed byte by byte (left as it is, still borrowed,
/// when nothing changes), other text by the full Unicode rules, as the functions do.
#[inline(always)]
fn change_case(value: Val<'_>, case: Case) -> Option<Val<'_>> {
    let text = match &value {
        Val::Null => return Some(Val::Null),
        Val::Other(_) => return None,
        v => v.text()?,
    };
    if text.is_ascii() {
        let changes = match case {
            Case::Lower => text.bytes().any(|b| b.is_ascii_uppercase()),
            Case::Upper => text.bytes().any(|b| b.is_ascii_lowercase()),
        };
        if !changes {
            return Some(value);
        }
        let mut out = CompactString::new(text);
        match case {
            Case::Lower => out.make_ascii_lowercase(),
            Case::Upper => out.make_ascii_uppercase(),
        }
        Some(Val::Own(out))
    } else {
        Some(Val::Own(CompactString::from(match case {
            Case::Lower => text.to_lowercase(),
            Case::Upper => text.to_uppercase(),
        })))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::LazyLock;

    use proptest::prelude::*;
    use serde_json::{Value, json};

    use crate::diagnostic::SourceFile;
    use crate::mapping::functions::Registry;
    use crate::mapping::program::Step;
    use crate::mapping::{Environment, Mapping, NoImports, Outcome, compile};

    /// Every shape the fast path knows, and a few it must leave alone.
    const MAPPING: &str = r#"
a = x
b = x | trim
c = x | trim | lower | required
d = concat(x | trim, " ", y, z)
e = x ?? "fallback"
f = x | upper | lookup({NL: "Netherlands", BE: "Belgium", n: 1, "": "empty", "1": "one"}, "Other")
g = x | parse_time("%d/%m/%Y %H:%M", "Europe/Amsterdam")
h = y | parse_time
i = (x | required) ?? (y | lower)
j = x | lookup({NL: "Netherlands", nl: null})
k = y | upper | trim
l = "const"
m = x ?? y ?? z
n = concat(x)
o = z | lower | upper | required
p = x.inner | trim
q = if y > 2 then x else "no"
r = if x == "NL" then "yes" else concat(x, "?")
s = if x + 1 > 2 then x else y
t = if y >= z then y | trim else z | lower
u = x + " " + y
v = (x | trim) + (y + z)
w = null + x
"#;

    /// How many assignments of [`MAPPING`] have a fast form.
    const FAST: usize = 21;

    fn mapping(fast: bool) -> Mapping {
        let registry = Registry::builtin();
        let env = Environment {
            functions: &registry,
            vars: None,
            imports: &NoImports,
        };
        let Some(mut mapping) = compile(&SourceFile::new("fast.map", MAPPING), &env).mapping else {
            panic!("the test mapping does not compile");
        };
        for step in &mut mapping.steps {
            if let Step::Assign { fast: f, .. } = step
                && !fast
            {
                *f = None;
            }
        }
        mapping
    }

    static FAST_MAPPING: LazyLock<Mapping> = LazyLock::new(|| mapping(true));
    static SLOW_MAPPING: LazyLock<Mapping> = LazyLock::new(|| mapping(false));

    fn field() -> impl Strategy<Value = Value> {
        prop_oneof![
            Just(Value::Null),
            "[ \tA-Za-z0-9/:.@éÉßİ\u{a0}\u{3000}-]{0,14}".prop_map(Value::from),
            "(0[1-9]|[12][0-9]|3[0-2])/(0[1-9]|1[0-3])/(19|20|99)[0-9]{2} ([01][0-9]|2[0-5]):[0-6][0-9]"
                .prop_map(Value::from),
            prop_oneof![
                Just("NL"),
                Just(" be "),
                Just("n"),
                Just(""),
                Just("  "),
                Just("29/03/2026 02:30"),
                Just("25/10/2026 02:30"),
                Just("2026-03-29T10:15:00.5+02:00"),
                Just("2026-03-29"),
            ]
            .prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            (-1e6f64..1e6).prop_map(|f| json!(f)),
            any::<bool>().prop_map(Value::from),
            Just(json!([])),
            Just(json!(["a"])),
            Just(json!({})),
            Just(json!({"inner": " x "})),
        ]
    }

    #[test]
    fn the_test_mapping_uses_the_fast_path() {
        let fast = FAST_MAPPING
            .steps
            .iter()
            .filter(|s| matches!(s, Step::Assign { fast: Some(_), .. }))
            .count();
        assert_eq!(fast, FAST);
    }

    /// `a = concat(x, concat(x, …))`, `levels` deep.
    fn nested_concat(levels: usize) -> String {
        format!(
            "a = {}{}",
            vec!["concat(x"; levels].join(", "),
            ")".repeat(levels)
        )
    }

    /// Deeply nested expressions are left to the evaluator (which checks its stack),
    /// and still give the same value.
    #[test]
    fn deep_expressions_are_left_to_the_evaluator() {
        let registry = Registry::builtin();
        let env = Environment {
            functions: &registry,
            vars: None,
            imports: &NoImports,
        };
        let shallow = nested_concat(10);
        let deep = nested_concat(60);
        for (text, fast) in [(&shallow, true), (&deep, false)] {
            let Some(mapping) = compile(&SourceFile::new("deep.map", text), &env).mapping else {
                panic!("does not compile: {text}");
            };
            assert!(
                matches!(&mapping.steps[..], [Step::Assign { fast: f, .. }] if f.is_some() == fast),
                "{text}"
            );
            let Outcome::Mapped(out) = mapping.apply(&json!({"x": "ab"}), &json!({})) else {
                panic!("not mapped: {text}");
            };
            let repeats = if fast { 10 } else { 60 };
            assert_eq!(out.get("a"), Some(json!("ab".repeat(repeats))));
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        #[test]
        fn the_fast_path_agrees_with_the_evaluator(x in field(), y in field(), z in field()) {
            let record = json!({"x": x, "y": y, "z": z});
            let fast = FAST_MAPPING.apply(&record, &json!({}));
            let slow = SLOW_MAPPING.apply(&record, &json!({}));
            prop_assert_eq!(&fast, &slow);
            if let (Outcome::Mapped(f), Outcome::Mapped(s)) =
                (&fast, &slow)
            {
                prop_assert_eq!(f.to_string(), s.to_string());
                prop_assert_eq!(f.to_value(), s.to_value());
            }
        }
    }
}
