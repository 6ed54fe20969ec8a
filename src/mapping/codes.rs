//! The stable codes of mapping diagnostics. Users search for them and tools match on
//! them, so a code, once given, keeps its meaning. The README lists them all.

/// Syntax error.
pub const SYNTAX: &str = "M001";
/// Unknown function.
pub const UNKNOWN_FUNCTION: &str = "M002";
/// Wrong number of arguments.
pub const ARGUMENT_COUNT: &str = "M003";
/// Unknown variable (`$name` with no `let name`).
pub const UNKNOWN_VARIABLE: &str = "M004";
/// A destination field assigned twice, or a key repeated in an object literal.
pub const ASSIGNED_TWICE: &str = "M005";
/// An argument the function cannot accept (an invalid regex, time format or zone…).
pub const INVALID_ARGUMENT: &str = "M006";
/// An import that cannot be read, or that imports itself.
pub const IMPORT: &str = "M007";
/// `$out.field` read before `field` is assigned.
pub const UNKNOWN_OUTPUT: &str = "M008";
/// `$vars.name` with no such pipeline variable.
pub const UNKNOWN_PIPELINE_VAR: &str = "M009";
/// A literal that is out of range or not a valid character.
pub const INVALID_LITERAL: &str = "M010";
/// `_` outside a function argument, or a function argument that is not a function.
pub const ELEMENT: &str = "M011";
/// A `let` name that is reserved or already defined.
pub const LET_NAME: &str = "M012";
/// Nesting too deep to be parsed safely.
pub const TOO_DEEP: &str = "M013";
/// `link("NAME")` names no pipeline.
pub const UNKNOWN_LINK: &str = "M014";
/// Warning: a bare name reads a source field although a `let` of that name exists.
pub const SHADOWED_LET: &str = "W001";
/// Warning: a linked pipeline is not in `after`.
pub const LINK_NOT_AFTER: &str = "W002";

/// Every code with a one-line explanation, in order.
pub const ALL: &[(&str, &str)] = &[
    (SYNTAX, "syntax error"),
    (
        UNKNOWN_FUNCTION,
        "unknown function (with a suggestion when a name is close)",
    ),
    (ARGUMENT_COUNT, "wrong number of arguments"),
    (
        UNKNOWN_VARIABLE,
        "unknown variable: `$name` without a `let name = …` before it",
    ),
    (
        ASSIGNED_TWICE,
        "a destination field assigned twice, or a key repeated in an object",
    ),
    (
        INVALID_ARGUMENT,
        "an argument the function cannot accept (regex, time format, time zone, country…)",
    ),
    (
        IMPORT,
        "an imported file that cannot be read, or an import cycle",
    ),
    (
        UNKNOWN_OUTPUT,
        "`$out.field` read before `field` is assigned",
    ),
    (
        UNKNOWN_PIPELINE_VAR,
        "`$vars.name` with no such pipeline variable",
    ),
    (
        INVALID_LITERAL,
        "a number out of range or an invalid `\\u{…}` escape",
    ),
    (
        ELEMENT,
        "`_` outside a function argument, or a function argument that is not a function",
    ),
    (
        LET_NAME,
        "a `let` name that is reserved (`vars`, `out`, `record`) or already defined",
    ),
    (
        TOO_DEEP,
        "brackets nested more than 64 deep, or more than 256 `if`s in one statement",
    ),
    (UNKNOWN_LINK, "`link` names a pipeline that does not exist"),
    (
        SHADOWED_LET,
        "warning: a bare name reads the source field although a `let` of that name exists",
    ),
    (
        LINK_NOT_AFTER,
        "warning: a linked pipeline is not in `after`, so it may not have synced first",
    ),
];
