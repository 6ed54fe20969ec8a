//! Evaluation: one compiled mapping applied to one record.
//!
//! Values are borrowed from the record and from the mapping's constants wherever
//! possible (`Cow`), so reading a field costs no copy until something changes it. A
//! run-time error never stops the run: it makes the record Invalid, with a message that
//! names the destination field and the line.

use std::borrow::Cow;
use std::sync::Arc;

use smallvec::SmallVec;

use super::ast::BinaryOp;
use super::fast::{self, FieldValue};
use super::functions::{Args, FnError, Nulls};
use super::keys::FieldName;
use super::ops;
use super::program::{CallSite, Callee, Mapping, Node, Outcome, Seg, Step};
use super::record::{MappedRecord, Slot};
use super::value::{Map, Value};

static NULL: Value = Value::Null;

/// An empty object, for mappings applied without pipeline variables.
pub fn no_vars() -> &'static Value {
    static EMPTY: std::sync::OnceLock<Value> = std::sync::OnceLock::new();
    EMPTY.get_or_init(|| Value::Object(Map::new()))
}

impl Mapping {
    /// Applies the mapping to one source record. `vars` is the object `$vars` reads.
    pub fn apply(&self, record: &Value, vars: &Value) -> Outcome {
        let fields = read_fields(record, &self.source_fields);
        let mut out = Vec::with_capacity(self.slot_count);
        // Assignments with a fast form, as long as they answer, need nothing else of
        // the evaluator: no locals, no problems yet. Most mappings end here.
        for (done, step) in self.steps.iter().enumerate() {
            let Step::Assign { fast: Some(f), .. } = step else {
                return self.apply_from(done, record, vars, fields, out);
            };
            if !fast::eval_into(f, &fields[..], &mut out) {
                return self.apply_from(done, record, vars, fields, out);
            }
        }
        Outcome::Mapped(MappedRecord::new(Arc::clone(&self.shape), out))
    }

    /// The field slot of a top-level source field this mapping reads, by name: where
    /// its value goes in the fields given to [`apply_fields`](Self::apply_fields).
    pub fn field_slot(&self, key: &str) -> Option<usize> {
        self.source_fields
            .binary_search_by(|field| field.order(key).reverse())
            .ok()
            .and_then(|i| self.source_fields.get(i))
            .map(|field| field.slot)
    }

    /// How many top-level source fields this mapping reads (the slots of
    /// [`field_slot`](Self::field_slot)).
    pub fn field_count(&self) -> usize {
        self.source_fields.len()
    }

    /// Applies the mapping to a record read in place rather than as a JSON value: its
    /// fields by slot (missing ones null), and `whole`, which builds the record as a
    /// value. That is called only when a statement needs more than the fields' fast
    /// forms give (the record is then mapped from the value, as by [`apply`]), so the
    /// outcome is always the one [`apply`] gives on the value.
    ///
    /// [`apply`]: Self::apply
    pub fn apply_fields(
        &self,
        fields: &[FieldValue<'_>],
        whole: impl FnOnce() -> Value,
        vars: &Value,
    ) -> Outcome {
        let mut out = Vec::with_capacity(self.slot_count);
        for step in &self.steps {
            let Step::Assign { fast: Some(f), .. } = step else {
                return self.apply(&whole(), vars);
            };
            if !fast::eval_into(f, fields, &mut out) {
                return self.apply(&whole(), vars);
            }
        }
        Outcome::Mapped(MappedRecord::new(Arc::clone(&self.shape), out))
    }

    /// Applies the steps from `first` on, with the evaluator; the steps before it were
    /// assignments that filled `out`. Step `first` either has no fast form or its fast
    /// form just gave up, so it is not tried again.
    fn apply_from<'a>(
        &'a self,
        first: usize,
        record: &'a Value,
        vars: &'a Value,
        fields: SmallVec<[&'a Value; 16]>,
        out: Vec<Slot>,
    ) -> Outcome {
        let mut frame = Frame {
            record,
            vars,
            fields,
            out,
            locals: Vec::with_capacity(self.local_count),
            elements: Vec::new(),
            depth: 0,
        };
        frame
            .locals
            .resize_with(self.local_count, || Err(String::new()));
        let mut problems = Vec::new();
        for (at, step) in self.steps.iter().enumerate().skip(first) {
            match step {
                Step::Assign {
                    slot,
                    field,
                    value,
                    fast,
                    place,
                } => {
                    // Steps run in order and each assignment fills the next slot.
                    debug_assert_eq!(*slot, frame.out.len());
                    if let Some(f) = fast
                        && at != first
                        && fast::eval_into(f, &frame.fields[..], &mut frame.out)
                    {
                        continue;
                    }
                    match eval(value, &mut frame) {
                        Ok(v) => frame.out.push(Slot::from_cow(v)),
                        Err(e) => {
                            frame.out.push(Slot::Value(Value::Null));
                            problems.push(format!("`{field}` ({place}): {}", e.0));
                        }
                    }
                }
                Step::Let {
                    slot,
                    name,
                    value,
                    place,
                } => {
                    let result = eval(value, &mut frame)
                        .map(Cow::into_owned)
                        .map_err(|e| format!("`${name}` ({place}): {}", e.0));
                    if let Some(local) = frame.locals.get_mut(*slot) {
                        *local = result;
                    }
                }
                Step::Skip { condition, place } => {
                    match condition_holds(condition, &mut frame, "skip if") {
                        Ok(true) => {
                            return Outcome::Skipped {
                                reason: format!("skip if ({place})"),
                            };
                        }
                        Ok(false) => {}
                        Err(e) => problems.push(format!("skip if ({place}): {}", e.0)),
                    }
                }
                Step::Invalid {
                    condition,
                    message,
                    place,
                } => match condition_holds(condition, &mut frame, "invalid if") {
                    Ok(true) => problems.push(message.clone()),
                    Ok(false) => {}
                    Err(e) => problems.push(format!("invalid if ({place}): {}", e.0)),
                },
            }
        }
        if problems.is_empty() {
            Outcome::Mapped(MappedRecord::new(Arc::clone(&self.shape), frame.out))
        } else {
            Outcome::Invalid { problems }
        }
    }
}

/// Why an expression could not be evaluated.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct EvalError(pub String);

impl From<FnError> for EvalError {
    fn from(e: FnError) -> EvalError {
        EvalError(e.0)
    }
}

impl From<String> for EvalError {
    fn from(message: String) -> EvalError {
        EvalError(message)
    }
}

struct Frame<'a> {
    record: &'a Value,
    vars: &'a Value,
    /// The source fields the mapping reads, by field slot (null when absent).
    fields: SmallVec<[&'a Value; 16]>,
    /// The destination fields assigned so far, by slot.
    out: Vec<Slot>,
    locals: Vec<Result<Value, String>>,
    /// `_` of the innermost function argument being applied.
    elements: Vec<Value>,
    /// How deep `eval` is nested, to grow the stack before it runs out.
    depth: usize,
}

fn condition_holds<'a>(
    node: &'a Node,
    frame: &mut Frame<'a>,
    what: &str,
) -> Result<bool, EvalError> {
    let value = eval(node, frame)?;
    Ok(ops::truth(&value, what)?)
}

/// Finds the fields a mapping reads in one pass over the record: its keys and the
/// wanted names are both sorted, so a merge of the two lists suffices.
pub(super) fn read_fields<'a>(
    record: &'a Value,
    wanted: &[FieldName],
) -> SmallVec<[&'a Value; 16]> {
    let mut fields: SmallVec<[&'a Value; 16]> = SmallVec::from_elem(&NULL, wanted.len());
    let Value::Object(map) = record else {
        return fields;
    };
    let mut entries = map.iter();
    let mut entry = entries.next();
    for field in wanted {
        while let Some((key, value)) = entry {
            match field.order(key) {
                std::cmp::Ordering::Less => entry = entries.next(),
                std::cmp::Ordering::Equal => {
                    if let Some(place) = fields.get_mut(field.slot) {
                        *place = value;
                    }
                    break;
                }
                std::cmp::Ordering::Greater => break,
            }
        }
    }
    fields
}

/// Objects up to this size are searched by scanning their keys.
const SCAN_LIMIT: usize = 24;

/// Looks a key up in an object. Records are small objects, and testing a few short keys
/// for equality (lengths first) costs less than the ordered search, which compares bytes
/// at every step (on the benchmark mapping: 2.6k against 3.8k instructions a record).
fn field<'v>(map: &'v Map<String, Value>, key: &str) -> Option<&'v Value> {
    if map.len() <= SCAN_LIMIT {
        map.iter().find(|(k, _)| k.as_str() == key).map(|(_, v)| v)
    } else {
        map.get(key)
    }
}

/// Follows a path. Missing keys, indexes out of range and steps into the wrong type
/// all give null: a missing field is not an error.
fn walk<'v>(value: &'v Value, path: &[Seg]) -> Cow<'v, Value> {
    let mut current = value;
    for (i, seg) in path.iter().enumerate() {
        current = match (seg, current) {
            (Seg::Key(key), Value::Object(map)) => field(map, key).unwrap_or(&NULL),
            (Seg::Index(index), Value::Array(items)) => {
                let position = if *index < 0 {
                    usize::try_from(index.unsigned_abs())
                        .ok()
                        .and_then(|back| items.len().checked_sub(back))
                } else {
                    usize::try_from(*index).ok()
                };
                position.and_then(|p| items.get(p)).unwrap_or(&NULL)
            }
            (Seg::All, Value::Array(items)) => {
                let rest = &path[i + 1..];
                return Cow::Owned(Value::Array(
                    items
                        .iter()
                        .map(|item| walk(item, rest).into_owned())
                        .collect(),
                ));
            }
            _ => return Cow::Borrowed(&NULL),
        };
    }
    Cow::Borrowed(current)
}

/// Follows a path into a value that is already owned.
fn walk_owned<'a>(value: Cow<'a, Value>, path: &[Seg]) -> Cow<'a, Value> {
    match value {
        Cow::Borrowed(v) => walk(v, path),
        Cow::Owned(v) => Cow::Owned(walk(&v, path).into_owned()),
    }
}

/// Every this many levels of nesting, `eval` checks that the stack has room for the
/// next ones and moves to a fresh segment if not (the compiler bounds nesting, but the
/// caller's thread may have a small stack, and debug builds use large frames).
const STACK_CHECK_EVERY: usize = 16;

#[inline]
fn eval<'a>(node: &'a Node, frame: &mut Frame<'a>) -> Result<Cow<'a, Value>, EvalError> {
    // Leaves (about half the nodes a mapping evaluates) are answered here, without the
    // frame of `eval_node`, which is large because it handles every kind of node.
    match node {
        Node::Const(v) => return Ok(Cow::Borrowed(v)),
        Node::Field(slot, path) if path.is_empty() => {
            return Ok(Cow::Borrowed(
                frame.fields.get(*slot).copied().unwrap_or(&NULL),
            ));
        }
        _ => {}
    }
    frame.depth += 1;
    let result = if frame.depth.is_multiple_of(STACK_CHECK_EVERY) {
        eval_with_room(node, frame)
    } else {
        eval_node(node, frame)
    };
    frame.depth -= 1;
    result
}

/// `eval_node` with enough stack for the next levels (rarely reached: kept out of line).
#[cold]
#[inline(never)]
fn eval_with_room<'a>(node: &'a Node, frame: &mut Frame<'a>) -> Result<Cow<'a, Value>, EvalError> {
    stacker::maybe_grow(256 * 1024, 4 * 1024 * 1024, || eval_node(node, frame))
}

fn eval_node<'a>(node: &'a Node, frame: &mut Frame<'a>) -> Result<Cow<'a, Value>, EvalError> {
    Ok(match node {
        Node::Const(v) => Cow::Borrowed(v),
        Node::Record(path) => walk(frame.record, path),
        Node::Field(slot, path) => walk(frame.fields.get(*slot).copied().unwrap_or(&NULL), path),
        Node::Vars(path) => walk(frame.vars, path),
        Node::Local(slot, path) => match frame.locals.get(*slot) {
            Some(Ok(v)) => Cow::Owned(walk(v, path).into_owned()),
            Some(Err(message)) => return Err(EvalError(message.clone())),
            None => Cow::Borrowed(&NULL),
        },
        Node::OutSlot(slot, path) => match frame.out.get(*slot) {
            Some(v) => Cow::Owned(walk(&v.as_value(), path).into_owned()),
            None => Cow::Borrowed(&NULL),
        },
        Node::OutObject(node, path) => {
            Cow::Owned(walk(&node.to_value(&frame.out), path).into_owned())
        }
        Node::Element(path) => match frame.elements.last() {
            Some(v) => Cow::Owned(walk(v, path).into_owned()),
            None => Cow::Borrowed(&NULL),
        },
        Node::Access(base, path) => {
            let base = eval(base, frame)?;
            walk_owned(base, path)
        }
        Node::List(items) => {
            let mut list = Vec::with_capacity(items.len());
            for item in items {
                list.push(eval(item, frame)?.into_owned());
            }
            Cow::Owned(Value::Array(list))
        }
        Node::Object(entries) => {
            let mut map = Map::with_capacity(entries.len());
            for (key, item) in entries {
                map.insert(key.clone(), eval(item, frame)?.into_owned());
            }
            Cow::Owned(Value::Object(map))
        }
        Node::Call(site) => Cow::Owned(call(site, frame)?),
        Node::Unary(op, operand) => {
            let operand = eval(operand, frame)?;
            Cow::Owned(ops::unary(*op, &operand)?)
        }
        Node::Binary(op, left, right) => match op {
            BinaryOp::Coalesce => match eval(left, frame) {
                Ok(v) if !v.is_null() => v,
                _ => eval(right, frame)?,
            },
            BinaryOp::And => {
                let left = eval(left, frame)?;
                if !ops::truth(&left, "and")? {
                    Cow::Owned(Value::Bool(false))
                } else {
                    let right = eval(right, frame)?;
                    Cow::Owned(Value::Bool(ops::truth(&right, "and")?))
                }
            }
            BinaryOp::Or => {
                let left = eval(left, frame)?;
                if ops::truth(&left, "or")? {
                    Cow::Owned(Value::Bool(true))
                } else {
                    let right = eval(right, frame)?;
                    Cow::Owned(Value::Bool(ops::truth(&right, "or")?))
                }
            }
            _ => {
                let left = eval(left, frame)?;
                let right = eval(right, frame)?;
                Cow::Owned(ops::binary(*op, &left, &right)?)
            }
        },
        Node::If(condition, then, otherwise) => {
            let condition = eval(condition, frame)?;
            if ops::truth(&condition, "if")? {
                eval(then, frame)?
            } else {
                eval(otherwise, frame)?
            }
        }
    })
}

fn call<'a>(site: &'a CallSite, frame: &mut Frame<'a>) -> Result<Value, EvalError> {
    if let Some(body) = &site.lambda {
        return call_with_lambda(site, body, frame);
    }
    // The arguments live on this call's stack frame: no allocation per call. A call with
    // one argument (every `x | f`) needs no vector at all.
    if let [only] = site.args.as_slice() {
        let mut values = [eval(only, frame)?];
        return finish_call(site, &mut values);
    }
    let mut values: SmallVec<[Cow<'a, Value>; 4]> = SmallVec::with_capacity(site.args.len());
    for arg in &site.args {
        values.push(eval(arg, frame)?);
    }
    finish_call(site, &mut values)
}

/// Calls the function of `site` with its evaluated arguments (a null first argument of a
/// function that propagates nulls gives null without a call).
fn finish_call(site: &CallSite, values: &mut [Cow<'_, Value>]) -> Result<Value, EvalError> {
    if site.nulls == Nulls::Propagate && values.first().is_some_and(|v| v.is_null()) {
        return Ok(Value::Null);
    }
    Ok(invoke(
        site,
        &mut Args::new(&site.name, &site.params, values, None),
    )?)
}

/// A call of a higher-order function: its function argument evaluates `body` with `_`
/// bound to each element, which needs the frame, so the values live apart from it.
fn call_with_lambda<'a>(
    site: &'a CallSite,
    body: &'a Node,
    frame: &mut Frame<'a>,
) -> Result<Value, EvalError> {
    let mut values: SmallVec<[Cow<'a, Value>; 4]> = SmallVec::with_capacity(site.args.len());
    for arg in &site.args {
        values.push(eval(arg, frame)?);
    }
    if site.nulls == Nulls::Propagate && values.first().is_some_and(|v| v.is_null()) {
        return Ok(Value::Null);
    }
    let mut lambda = |element: Value| -> Result<Value, FnError> {
        frame.elements.push(element);
        let result = eval(body, frame).map(Cow::into_owned);
        frame.elements.pop();
        result.map_err(|e| FnError(e.0))
    };
    let result = invoke(
        site,
        &mut Args::new(&site.name, &site.params, &mut values, Some(&mut lambda)),
    );
    Ok(result?)
}

fn invoke(site: &CallSite, args: &mut Args<'_, '_>) -> Result<Value, FnError> {
    match &site.callee {
        Callee::Plain(f) => f(args),
        Callee::Bound(f) => f.call(args),
    }
}
