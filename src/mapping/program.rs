//! A compiled mapping: names resolved, functions bound, constants folded. This is what
//! the evaluator runs, once per record.

use std::sync::Arc;

use super::ast::{BinaryOp, UnaryOp};
use super::fast::Text;
use super::functions::{Call, Nulls, Param, PlainFn};
use super::keys::FieldName;
use super::record::{MappedRecord, Shape, ShapeNode};
use super::value::Value;

/// A mapping ready to apply to records. Cheap to share between threads.
pub struct Mapping {
    pub(crate) steps: Vec<Step>,
    pub(crate) local_count: usize,
    /// The layout of the output; `slot_count` values fill it.
    pub(crate) shape: Arc<Shape>,
    pub(crate) slot_count: usize,
    /// The top-level source fields read, sorted by name like the keys of a record.
    pub(crate) source_fields: Vec<FieldName>,
}

impl std::fmt::Debug for Mapping {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mapping")
            .field("steps", &self.steps.len())
            .field("fields", &self.slot_count)
            .finish()
    }
}

impl Mapping {
    /// The fast form of each assignment, by output slot, when every statement is an
    /// assignment with one (see `fast`); `None` otherwise.
    pub(crate) fn fast_assignments(&self) -> Option<Vec<&Text>> {
        let mut assignments: Vec<Option<&Text>> = vec![None; self.slot_count];
        for step in &self.steps {
            let Step::Assign {
                slot,
                fast: Some(text),
                ..
            } = step
            else {
                return None;
            };
            *assignments.get_mut(*slot)? = Some(text);
        }
        assignments.into_iter().collect()
    }

    /// The top-level destination fields, in the order the mapping first assigns them
    /// (a dotted path such as `address.city` gives `address`). File destinations use
    /// it for their columns.
    pub fn output_fields(&self) -> Vec<String> {
        self.shape
            .fields
            .iter()
            .map(|(name, _)| name.clone())
            .collect()
    }
}

/// What a mapping made of one record.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// The mapped record.
    Mapped(MappedRecord),
    /// A `skip if` condition held; `reason` says which one.
    Skipped { reason: String },
    /// The record cannot be mapped: every problem found, each naming its field and line.
    Invalid { problems: Vec<String> },
}

impl Outcome {
    /// The problems as one message (for reports).
    pub fn message(&self) -> Option<String> {
        match self {
            Outcome::Mapped(_) => None,
            Outcome::Skipped { reason } => Some(reason.clone()),
            Outcome::Invalid { problems } => Some(problems.join("; ")),
        }
    }
}

/// One statement, compiled. `place` says where it was written ("line 3", or
/// "shared.map line 3" for an imported file), for run-time messages.
pub(crate) enum Step {
    Assign {
        slot: usize,
        field: String,
        value: Node,
        /// `value` specialised, when it has a fast form.
        fast: Option<Text>,
        place: String,
    },
    Let {
        slot: usize,
        name: String,
        value: Node,
        place: String,
    },
    Skip {
        condition: Node,
        place: String,
    },
    Invalid {
        condition: Node,
        message: String,
        place: String,
    },
}

/// A step in a path: `.key`, `[i]` (negative counts from the end), `[*]`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Seg {
    Key(String),
    Index(i64),
    All,
}

pub(crate) enum Node {
    Const(Value),
    /// A path into the source record (`$record…`).
    Record(Vec<Seg>),
    /// A top-level source field, by field slot, then a path into it.
    Field(usize, Vec<Seg>),
    /// A `let` binding, then a path into it.
    Local(usize, Vec<Seg>),
    /// `$vars…`
    Vars(Vec<Seg>),
    /// `$out.field…`: a field already mapped, then a path into it.
    OutSlot(usize, Vec<Seg>),
    /// `$out` or `$out.address`: an object of fields already mapped.
    OutObject(ShapeNode, Vec<Seg>),
    /// `_…`: the element inside a function argument.
    Element(Vec<Seg>),
    /// A path into the result of any other expression.
    Access(Box<Node>, Vec<Seg>),
    List(Vec<Node>),
    Object(Vec<(String, Node)>),
    Call(Box<CallSite>),
    Unary(UnaryOp, Box<Node>),
    Binary(BinaryOp, Box<Node>, Box<Node>),
    If(Box<Node>, Box<Node>, Box<Node>),
}

pub(crate) enum Callee {
    Plain(PlainFn),
    Bound(Arc<dyn Call>),
}

pub(crate) struct CallSite {
    pub name: String,
    /// A built-in function (not a Rhai function or `link`).
    pub builtin: bool,
    pub params: Vec<Param>,
    pub nulls: Nulls,
    pub callee: Callee,
    pub args: Vec<Node>,
    /// The function argument of a higher-order function, as an expression over `_`.
    pub lambda: Option<Node>,
}
