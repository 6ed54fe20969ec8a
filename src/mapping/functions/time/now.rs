//! `now`: the current time.

use chrono::{SubsecRound, Utc};

use crate::mapping::functions::{Args, Category, Example, FnError, Function, Imp, Nulls};
use crate::mapping::value::Value;

use super::common::rfc3339;

pub(crate) const NOW: Function = Function {
    name: "now",
    category: Category::Time,
    summary: "The current time, as RFC 3339 in UTC to the whole second.",
    params: &[],
    examples: &[Example {
        expr: "to_unix(now()) > 1700000000",
        result: "true",
    }],
    nulls: Nulls::Accept,
    imp: Imp::Plain(now),
};

fn now(_args: &mut Args<'_, '_>) -> Result<Value, FnError> {
    rfc3339(Utc::now().trunc_subsecs(0)).map_err(FnError::new)
}

#[cfg(test)]
mod tests {
    use crate::mapping::functions::call_builtin;
    use chrono::{DateTime, Utc};

    #[test]
    fn gives_the_current_second_in_utc() {
        let before = Utc::now().timestamp();
        let now = call_builtin("now", &[]).unwrap();
        let after = Utc::now().timestamp();
        let text = now.as_str().unwrap();
        assert_eq!(text.len(), "2026-03-29T10:15:00Z".len(), "{text}");
        assert!(text.ends_with('Z'));
        let t = text.parse::<DateTime<Utc>>().unwrap().timestamp();
        assert!(before <= t && t <= after);
    }
}
