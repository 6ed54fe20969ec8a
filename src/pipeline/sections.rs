//! Reading a pipeline file table by table, after reading it whole failed: serde stops
//! at the first error, so each table (and each auth block) is read on its own to
//! report the errors of the others as well. Unknown top-level keys are reported here
//! too, as reading the whole file may have stopped before them.

use std::collections::BTreeMap;

use serde::de::DeserializeOwned;

use super::auth::Auth;
use super::de::{Sink, read, record_unknown_key};
use super::destination::Destination;
use super::model::{MappingSection, Notify, PipelineSection, Schedule, Sync, Webhook};
use super::source::Source;
use super::tree::Node;
use super::two_way::{Side, TwoWay};
use super::vars::VarValue;
use crate::diagnostic::Diagnostic;

/// The top-level keys, in the order of `PipelineFile`'s fields.
const TABLES: &[&str] = &[
    "extends",
    "pipeline",
    "schedule",
    "vars",
    "auth",
    "source",
    "destination",
    "two_way",
    "left",
    "right",
    "sync",
    "mapping",
    "webhook",
    "notify",
];

/// The first error of each top-level table of `root`; unknown top-level keys go to
/// `sink`.
pub(crate) fn read_sections(root: &Node, sink: &Sink) -> Vec<Diagnostic> {
    let mut errors = Vec::new();
    for (key, node) in root.entries() {
        let name = key.name.as_str();
        let mut one = |result: Option<Diagnostic>| errors.extend(result);
        match name {
            "extends" => one(first::<String>(node, name, sink)),
            "pipeline" => one(first::<PipelineSection>(node, name, sink)),
            "schedule" => one(first::<Schedule>(node, name, sink)),
            "vars" => one(first::<BTreeMap<String, VarValue>>(node, name, sink)),
            "source" => one(first::<Source>(node, name, sink)),
            "destination" => one(first::<Destination>(node, name, sink)),
            "two_way" => one(first::<TwoWay>(node, name, sink)),
            "left" | "right" => one(first::<Side>(node, name, sink)),
            "sync" => one(first::<Sync>(node, name, sink)),
            "mapping" => one(first::<MappingSection>(node, name, sink)),
            "webhook" => one(first::<Webhook>(node, name, sink)),
            "notify" => one(first::<Notify>(node, name, sink)),
            "auth" => {
                for (block, value) in node.entries() {
                    let path = format!("auth.{}", block.name);
                    one(first::<Auth>(value, &path, sink));
                }
            }
            _ => record_unknown_key(sink, key, "", TABLES),
        }
    }
    errors
}

fn first<T: DeserializeOwned>(node: &Node, path: &str, sink: &Sink) -> Option<Diagnostic> {
    read::<T>(node, path, sink).err()
}
