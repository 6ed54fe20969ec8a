//! The stable codes of script diagnostics (Rhai scripts and `[sync] when` conditions).
//! Users search for them and tools match on them, so a code, once given, keeps its
//! meaning.

/// Syntax error in a script or a condition.
pub const SYNTAX: &str = "S001";
/// A feature the sandbox refuses: `eval`, `import`.
pub const REFUSED: &str = "S002";
/// A variable that is not defined (scripts are compiled in strict-variables mode).
pub const UNKNOWN_VARIABLE: &str = "S003";
/// A script function with the name of a built-in mapping function.
pub const SHADOWS_BUILTIN: &str = "S004";
/// A function name exported by more than one script.
pub const DEFINED_TWICE: &str = "S005";

/// Every code with a one-line explanation, in order.
pub const ALL: &[(&str, &str)] = &[
    (
        SYNTAX,
        "syntax error in a Rhai script or a `when` condition",
    ),
    (
        REFUSED,
        "a feature the script sandbox refuses (`eval`, `import`)",
    ),
    (
        UNKNOWN_VARIABLE,
        "an undefined variable (a condition sees only `record` and `vars`)",
    ),
    (
        SHADOWS_BUILTIN,
        "a script function named like a built-in mapping function",
    ),
    (
        DEFINED_TWICE,
        "a function name defined in more than one script",
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_numbered_in_order() {
        for (i, (code, text)) in ALL.iter().enumerate() {
            assert_eq!(*code, format!("S{:03}", i + 1));
            assert!(!text.is_empty());
        }
    }
}
