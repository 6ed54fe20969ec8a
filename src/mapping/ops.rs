//! The semantics of the operators, shared by the evaluator and constant folding.
//!
//! Missing data is null, and null flows through arithmetic (`price * 2` is null when
//! there is no price) instead of failing; text joins with `+` (null joining as nothing);
//! everything else that mixes types is a type error that makes the record Invalid.

use std::cmp::Ordering;

use super::ast::{BinaryOp, UnaryOp};
use super::value::{self, Num, Value, describe};

/// Applies an arithmetic or comparison operator. `and`, `or` and `??` short-circuit and
/// are evaluated by the caller, not here.
pub fn binary(op: BinaryOp, left: &Value, right: &Value) -> Result<Value, String> {
    match op {
        BinaryOp::Add => add(left, right),
        BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div | BinaryOp::Rem => {
            arithmetic(op, left, right)
        }
        BinaryOp::Eq => Ok(Value::Bool(value::equals(left, right))),
        BinaryOp::Ne => Ok(Value::Bool(!value::equals(left, right))),
        BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge => order(op, left, right),
        BinaryOp::And | BinaryOp::Or | BinaryOp::Coalesce => Err(format!(
            "`{}` cannot be applied to values directly",
            op.symbol()
        )),
    }
}

/// `-x` and `not x`.
pub fn unary(op: UnaryOp, operand: &Value) -> Result<Value, String> {
    match op {
        UnaryOp::Not => Ok(Value::Bool(!truth(operand, "not")?)),
        UnaryOp::Neg => match value::as_num(operand) {
            _ if operand.is_null() => Ok(Value::Null),
            Some(Num::Int(i)) => i
                .checked_neg()
                .map(Value::from)
                .ok_or_else(|| "integer overflow".to_string()),
            Some(Num::Float(f)) => value::float_value(-f),
            None => Err(format!("cannot negate {}", describe(operand))),
        },
    }
}

/// The truth of a condition: booleans as they are, null as false, anything else an error
/// (`what` names the construct in the message).
pub fn truth(value: &Value, what: &str) -> Result<bool, String> {
    match value {
        Value::Bool(b) => Ok(*b),
        Value::Null => Ok(false),
        other => Err(format!(
            "`{what}` needs true or false, got {}",
            describe(other)
        )),
    }
}

fn add(left: &Value, right: &Value) -> Result<Value, String> {
    match (left, right) {
        (Value::Number(_), Value::Number(_)) => arithmetic(BinaryOp::Add, left, right),
        (Value::String(_), _) | (_, Value::String(_)) => {
            match (join_text(left), join_text(right)) {
                (Some(a), Some(b)) => Ok(Value::String(a + b.as_ref())),
                _ => Err(format!(
                    "cannot add {} and {}",
                    describe(left),
                    describe(right)
                )),
            }
        }
        (Value::Null, Value::Number(_))
        | (Value::Number(_), Value::Null)
        | (Value::Null, Value::Null) => Ok(Value::Null),
        (Value::Array(a), Value::Array(b)) => {
            Ok(Value::Array(a.iter().chain(b).cloned().collect()))
        }
        (Value::Object(a), Value::Object(b)) => {
            let mut merged = a.clone();
            merged.extend(b.iter().map(|(k, v)| (k.clone(), v.clone())));
            Ok(Value::Object(merged))
        }
        _ => Err(format!(
            "cannot add {} and {}",
            describe(left),
            describe(right)
        )),
    }
}

/// The text a value contributes to `+`: null contributes nothing.
fn join_text(value: &Value) -> Option<String> {
    match value {
        Value::Null => Some(String::new()),
        other => value::as_text(other).map(|t| t.into_owned()),
    }
}

fn arithmetic(op: BinaryOp, left: &Value, right: &Value) -> Result<Value, String> {
    let numeric_or_null = |v: &Value| matches!(v, Value::Number(_) | Value::Null);
    if (left.is_null() || right.is_null()) && numeric_or_null(left) && numeric_or_null(right) {
        return Ok(Value::Null);
    }
    let (Some(a), Some(b)) = (value::as_num(left), value::as_num(right)) else {
        let verb = match op {
            BinaryOp::Add => "add",
            BinaryOp::Sub => "subtract",
            BinaryOp::Mul => "multiply",
            BinaryOp::Div => "divide",
            _ => "take the remainder of",
        };
        let joiner = match op {
            BinaryOp::Mul => "by",
            BinaryOp::Div => "by",
            BinaryOp::Sub => "from",
            _ => "and",
        };
        let (first, second) = if op == BinaryOp::Sub {
            (right, left)
        } else {
            (left, right)
        };
        return Err(format!(
            "cannot {verb} {} {joiner} {}",
            describe(first),
            describe(second)
        ));
    };
    match (a, b) {
        (Num::Int(x), Num::Int(y)) => integer_op(op, x, y),
        (x, y) => {
            let (x, y) = (x.as_f64(), y.as_f64());
            let result = match op {
                BinaryOp::Add => x + y,
                BinaryOp::Sub => x - y,
                BinaryOp::Mul => x * y,
                BinaryOp::Div if y == 0.0 => return Err("division by zero".to_string()),
                BinaryOp::Div => x / y,
                _ if y == 0.0 => return Err("division by zero".to_string()),
                _ => x % y,
            };
            value::float_value(result)
        }
    }
}

fn integer_op(op: BinaryOp, x: i64, y: i64) -> Result<Value, String> {
    let overflow = || "integer overflow".to_string();
    match op {
        BinaryOp::Add => x.checked_add(y).map(Value::from).ok_or_else(overflow),
        BinaryOp::Sub => x.checked_sub(y).map(Value::from).ok_or_else(overflow),
        BinaryOp::Mul => x.checked_mul(y).map(Value::from).ok_or_else(overflow),
        BinaryOp::Div => match x.checked_div(y) {
            _ if y == 0 => Err("division by zero".to_string()),
            None => Err(overflow()),
            Some(quotient) if quotient.checked_mul(y) == Some(x) => Ok(Value::from(quotient)),
            Some(_) => value::float_value(x as f64 / y as f64),
        },
        _ if y == 0 => Err("division by zero".to_string()),
        // i64::MIN % -1 overflows in hardware, but its value is 0.
        _ => Ok(Value::from(x.checked_rem(y).unwrap_or(0))),
    }
}

fn order(op: BinaryOp, left: &Value, right: &Value) -> Result<Value, String> {
    if left.is_null() || right.is_null() {
        return Ok(Value::Bool(false));
    }
    let ordering = value::compare(left, right)
        .ok_or_else(|| format!("cannot compare {} with {}", describe(left), describe(right)))?;
    Ok(Value::Bool(match op {
        BinaryOp::Lt => ordering == Ordering::Less,
        BinaryOp::Le => ordering != Ordering::Greater,
        BinaryOp::Gt => ordering == Ordering::Greater,
        _ => ordering != Ordering::Less,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn text_joins_and_null_joins_as_nothing() {
        assert_eq!(
            binary(BinaryOp::Add, &json!("a"), &json!(null)),
            Ok(json!("a"))
        );
        assert_eq!(
            binary(BinaryOp::Add, &json!("n"), &json!(1)),
            Ok(json!("n1"))
        );
    }

    #[test]
    fn arithmetic_on_text_is_a_type_error() {
        let err = binary(BinaryOp::Mul, &json!("a"), &json!(2)).unwrap_err();
        assert_eq!(err, "cannot multiply text \"a\" by integer 2");
    }

    #[test]
    fn null_flows_through_arithmetic() {
        assert_eq!(
            binary(BinaryOp::Mul, &json!(null), &json!(2)),
            Ok(json!(null))
        );
        assert_eq!(
            binary(BinaryOp::Gt, &json!(null), &json!(2)),
            Ok(json!(false))
        );
    }

    #[test]
    fn integer_division_is_exact_or_float() {
        assert_eq!(binary(BinaryOp::Div, &json!(6), &json!(3)), Ok(json!(2)));
        assert_eq!(binary(BinaryOp::Div, &json!(7), &json!(2)), Ok(json!(3.5)));
        assert!(binary(BinaryOp::Div, &json!(1), &json!(0)).is_err());
        assert!(binary(BinaryOp::Add, &json!(i64::MAX), &json!(1)).is_err());
        assert_eq!(
            binary(BinaryOp::Div, &json!(i64::MIN), &json!(-1)),
            Err("integer overflow".to_string())
        );
        assert_eq!(
            binary(BinaryOp::Rem, &json!(i64::MIN), &json!(-1)),
            Ok(json!(0))
        );
    }
}
