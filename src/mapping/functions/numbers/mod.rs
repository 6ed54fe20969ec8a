//! Number functions: conversion, rounding and aggregation.

use super::Function;

mod abs;
mod ceil;
mod common;
mod extremes;
mod floor;
mod format_number;
mod max;
mod min;
mod round;
mod sum;
mod to_float;
mod to_int;

pub(super) fn all() -> Vec<&'static Function> {
    vec![
        &to_int::TO_INT,
        &to_float::TO_FLOAT,
        &round::ROUND,
        &floor::FLOOR,
        &ceil::CEIL,
        &abs::ABS,
        &min::MIN,
        &max::MAX,
        &sum::SUM,
        &format_number::FORMAT_NUMBER,
    ]
}
