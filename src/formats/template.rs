//! Output path templates: `exports/participants-{date}.csv` becomes
//! `exports/participants-2026-03-06.csv`, the run's time in the pipeline's time zone.

use chrono::{DateTime, Utc};

/// Why a path template cannot be filled.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PathTemplateError {
    /// `{name}` is not one of `{date}`, `{time}`, `{datetime}`.
    #[error("unknown placeholder `{{{0}}}` in the path (known: {{date}}, {{time}}, {{datetime}})")]
    Unknown(String),
    /// A `{` without its `}`, or a lone `}` (write `{{` and `}}` for the characters).
    #[error("unbalanced `{{` or `}}` in the path (write `{{{{` and `}}}}` for the characters)")]
    Unbalanced,
}

/// Fills the placeholders of `template` with `now` seen in `zone`: `{date}` is
/// `YYYY-MM-DD`, `{time}` is `HHMMSS`, `{datetime}` is `YYYY-MM-DDTHHMMSS` (no colons,
/// which some file systems refuse); `{{` and `}}` stand for `{` and `}`.
pub fn expand_path(
    template: &str,
    now: DateTime<Utc>,
    zone: chrono_tz::Tz,
) -> Result<String, PathTemplateError> {
    let local = now.with_timezone(&zone);
    let mut out = String::with_capacity(template.len() + 16);
    let mut rest = template;
    while let Some(i) = rest.find(['{', '}']) {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        if let Some(after) = tail.strip_prefix("{{") {
            out.push('{');
            rest = after;
            continue;
        }
        if let Some(after) = tail.strip_prefix("}}") {
            out.push('}');
            rest = after;
            continue;
        }
        if tail.starts_with('}') {
            return Err(PathTemplateError::Unbalanced);
        }
        let end = tail.find('}').ok_or(PathTemplateError::Unbalanced)?;
        let name = &tail[1..end];
        let format = match name {
            "date" => "%Y-%m-%d",
            "time" => "%H%M%S",
            "datetime" => "%Y-%m-%dT%H%M%S",
            _ if name.contains('{') => return Err(PathTemplateError::Unbalanced),
            _ => return Err(PathTemplateError::Unknown(name.to_string())),
        };
        out.push_str(&local.format(format).to_string());
        rest = &tail[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(template: &str) -> Result<String, PathTemplateError> {
        // 23:30 UTC on 5 March is 00:30 on 6 March in Amsterdam.
        let now = Utc.with_ymd_and_hms(2026, 3, 5, 23, 30, 7).unwrap();
        expand_path(template, now, chrono_tz::Europe::Amsterdam)
    }

    #[test]
    fn placeholders_use_the_zone() {
        assert_eq!(at("out/p-{date}.csv").unwrap(), "out/p-2026-03-06.csv");
        assert_eq!(at("{time}").unwrap(), "003007");
        assert_eq!(at("x-{datetime}.xml").unwrap(), "x-2026-03-06T003007.xml");
        assert_eq!(at("plain.csv").unwrap(), "plain.csv");
        assert_eq!(at("{{date}}").unwrap(), "{date}");
    }

    #[test]
    fn unknown_and_unbalanced_placeholders_are_errors() {
        assert_eq!(
            at("p-{day}.csv"),
            Err(PathTemplateError::Unknown("day".into()))
        );
        assert_eq!(at("p-{date.csv"), Err(PathTemplateError::Unbalanced));
        assert_eq!(at("p-}.csv"), Err(PathTemplateError::Unbalanced));
        assert_eq!(at("p-{a{date}"), Err(PathTemplateError::Unbalanced));
        let message = at("{x}").unwrap_err().to_string();
        assert!(message.contains("`{x}`"), "{message}");
    }
}
