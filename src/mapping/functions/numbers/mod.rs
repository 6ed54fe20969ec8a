//! Number functions: conversion, rounding and aggregation.

use super::Function;

pub(super) fn all() -> Vec<&'static Function> {
    vec![]
}
