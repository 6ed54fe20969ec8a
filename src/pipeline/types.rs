//! Values that a pipeline file writes as text but that are parsed at load time, so
//! that nothing downstream carries a duration or a time zone as a string: durations,
//! cron expressions, time zones, timestamps, rate limits, fractions. Each parses in its
//! `Deserialize` and explains a bad value precisely.

use std::borrow::Cow;
use std::fmt;
use std::num::NonZeroU32;

use chrono::{DateTime, Utc};
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};

use super::de::HELP;
use crate::diagnostic::did_you_mean;
use crate::mapping::functions::time::duration::parse_duration;

/// Reads a string and parses it; `parse` returns the whole message on failure (a
/// suggestion may follow after [`HELP`]).
pub(crate) fn from_text<'de, D, T>(
    deserializer: D,
    expecting: &'static str,
    parse: fn(&str) -> Result<T, String>,
) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
{
    struct Text<T> {
        expecting: &'static str,
        parse: fn(&str) -> Result<T, String>,
    }
    impl<T> Visitor<'_> for Text<T> {
        type Value = T;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(self.expecting)
        }
        fn visit_str<E: de::Error>(self, text: &str) -> Result<T, E> {
            (self.parse)(text).map_err(E::custom)
        }
    }
    deserializer.deserialize_str(Text { expecting, parse })
}

fn string_schema(description: &str, pattern: Option<&str>) -> Schema {
    match pattern {
        Some(pattern) => json_schema!({
            "type": "string",
            "description": description,
            "pattern": pattern,
        }),
        None => json_schema!({ "type": "string", "description": description }),
    }
}

/// A positive length of time, written `15m`, `1h30m`, `2d` or ISO 8601 `PT15M`.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Duration(std::time::Duration);

impl Duration {
    /// The length as a standard duration.
    pub fn get(&self) -> std::time::Duration {
        self.0
    }

    /// Parses the text form (`15m`).
    pub fn parse(text: &str) -> Result<Duration, String> {
        let found = || format!("expected a duration like \"15m\", found {text:?}");
        let delta = parse_duration(text).map_err(|reason| {
            let reason = reason
                .split_once("\": ")
                .map_or(reason.as_str(), |(_, r)| r);
            format!("{} ({reason})", found())
        })?;
        match delta.to_std() {
            Ok(d) if !d.is_zero() => Ok(Duration(d)),
            _ => Err(format!("{} (it must be longer than zero)", found())),
        }
    }
}

/// The compact form: `1h30m`, `15m`, `90s` is `1m30s`, `250ms`.
impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut secs = self.0.as_secs();
        let millis = self.0.subsec_millis();
        for (unit, size) in [("d", 86_400), ("h", 3600), ("m", 60), ("s", 1)] {
            if secs >= size {
                write!(f, "{}{unit}", secs / size)?;
                secs %= size;
            }
        }
        if millis > 0 || self.0.as_secs() == 0 {
            write!(f, "{millis}ms")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.0)
    }
}

impl<'de> Deserialize<'de> for Duration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        from_text(d, "a duration like \"15m\"", Duration::parse)
    }
}

impl JsonSchema for Duration {
    fn schema_name() -> Cow<'static, str> {
        "Duration".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        string_schema(
            "a length of time: `15m`, `1h30m`, `2d`, `90s` or ISO 8601 `PT15M`",
            Some(r"^\s*\+?(([0-9]+([.,][0-9]+)?\s*[A-Za-z]+\s*)+|[Pp][0-9A-Za-z.,]+)$"),
        )
    }
}

/// A cron expression: five fields (minute hour day-of-month month day-of-week), or six
/// or seven with seconds first (and a year last). Names such as `Fri` and `Jan` work.
#[derive(Clone)]
pub struct CronSchedule {
    text: String,
    cron: croner::Cron,
}

impl CronSchedule {
    /// Parses and validates an expression.
    pub fn parse(text: &str) -> Result<CronSchedule, String> {
        let parser = croner::parser::CronParser::builder()
            .seconds(croner::parser::Seconds::Optional)
            .build();
        let fields = text.split_whitespace().count();
        let reason = if (5..=7).contains(&fields) {
            match parser.parse(text) {
                Ok(cron) => {
                    return Ok(CronSchedule {
                        text: text.split_whitespace().collect::<Vec<_>>().join(" "),
                        cron,
                    });
                }
                Err(e) => blame_field(&parser, text, fields).unwrap_or_else(|| e.to_string()),
            }
        } else {
            format!(
                "it has {fields} fields; a cron expression has 5 (minute hour day month weekday), or 6-7 with seconds first"
            )
        };
        Err(format!(
            "invalid cron expression {text:?}: {reason}{HELP}for example \"0 16 * * Fri\" (Fridays at 16:00) or \"*/15 * * * *\""
        ))
    }

    /// The expression as written (white space normalised).
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The expression with a seconds field first, as tokio-cron-scheduler requires.
    pub fn with_seconds(&self) -> String {
        if self.text.split_whitespace().count() == 5 {
            format!("0 {}", self.text)
        } else {
            self.text.clone()
        }
    }

    /// The parsed schedule.
    pub fn cron(&self) -> &croner::Cron {
        &self.cron
    }
}

/// Names the first field that is wrong on its own (the others replaced by `*`), with
/// croner's reason.
fn blame_field(parser: &croner::parser::CronParser, text: &str, count: usize) -> Option<String> {
    const FIVE: [&str; 5] = ["minute", "hour", "day of month", "month", "day of week"];
    let names: Vec<&str> = match count {
        5 => FIVE.to_vec(),
        6 => [&["second"][..], &FIVE].concat(),
        _ => [&["second"][..], &FIVE, &["year"]].concat(),
    };
    let fields: Vec<&str> = text.split_whitespace().collect();
    fields.iter().enumerate().find_map(|(i, field)| {
        let alone: Vec<&str> = (0..fields.len())
            .map(|j| if i == j { *field } else { "*" })
            .collect();
        let error = parser.parse(&alone.join(" ")).err()?;
        Some(format!(
            "the {} field `{field}` is wrong ({error})",
            names.get(i).unwrap_or(&"last")
        ))
    })
}

impl fmt::Debug for CronSchedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CronSchedule({:?})", self.text)
    }
}

impl PartialEq for CronSchedule {
    fn eq(&self, other: &CronSchedule) -> bool {
        self.text == other.text
    }
}

impl<'de> Deserialize<'de> for CronSchedule {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<CronSchedule, D::Error> {
        from_text(
            d,
            "a cron expression like \"0 16 * * Fri\"",
            CronSchedule::parse,
        )
    }
}

impl JsonSchema for CronSchedule {
    fn schema_name() -> Cow<'static, str> {
        "CronSchedule".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        string_schema(
            "a cron expression: 5 fields (minute hour day month weekday), or 6-7 with seconds",
            Some(r"^\s*\S+(\s+\S+){4,6}\s*$"),
        )
    }
}

/// An IANA time zone such as `Europe/Amsterdam`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeZone(pub chrono_tz::Tz);

impl TimeZone {
    /// Parses a zone name; a near miss gets a suggestion.
    pub fn parse(text: &str) -> Result<TimeZone, String> {
        if let Ok(tz) = text.parse::<chrono_tz::Tz>() {
            return Ok(TimeZone(tz));
        }
        let names = chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name());
        let suggestion = chrono_tz::TZ_VARIANTS
            .iter()
            .map(|tz| tz.name())
            .find(|name| name.eq_ignore_ascii_case(text))
            .or_else(|| did_you_mean(text, names));
        let help = match suggestion {
            Some(name) => format!("{HELP}did you mean `{name}`?"),
            None => format!("{HELP}use an IANA name such as \"Europe/Amsterdam\" or \"UTC\""),
        };
        Err(format!("unknown time zone {text:?}{help}"))
    }
}

impl<'de> Deserialize<'de> for TimeZone {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<TimeZone, D::Error> {
        from_text(d, "a time zone like \"Europe/Amsterdam\"", TimeZone::parse)
    }
}

impl JsonSchema for TimeZone {
    fn schema_name() -> Cow<'static, str> {
        "TimeZone".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        string_schema("an IANA time zone such as `Europe/Amsterdam`", None)
    }
}

/// A moment in time, written in RFC 3339 (`2026-12-04T00:00:00Z`); a TOML date-time
/// with an offset works as well.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Timestamp(pub DateTime<Utc>);

impl Timestamp {
    /// Parses RFC 3339; the offset is required.
    pub fn parse(text: &str) -> Result<Timestamp, String> {
        DateTime::parse_from_rfc3339(text)
            .map(|t| Timestamp(t.with_timezone(&Utc)))
            .map_err(|e| {
                format!(
                    "expected a timestamp like \"2026-12-04T00:00:00Z\", found {text:?} ({e}){HELP}write the date, `T`, the time and an offset (`Z` or `+01:00`)"
                )
            })
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Timestamp, D::Error> {
        from_text(
            d,
            "a timestamp like \"2026-12-04T00:00:00Z\"",
            Timestamp::parse,
        )
    }
}

impl JsonSchema for Timestamp {
    fn schema_name() -> Cow<'static, str> {
        "Timestamp".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        string_schema(
            "an RFC 3339 timestamp with an offset, e.g. `2026-12-04T00:00:00Z`",
            Some(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}:\d{2})$"),
        )
    }
}

/// At most `count` requests per `per`: `"10/s"`, `"600/m"`, `"100/15m"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateLimit {
    pub count: NonZeroU32,
    pub per: std::time::Duration,
}

impl RateLimit {
    /// Parses `COUNT/PERIOD`; a period without a number means one unit (`s` = `1s`).
    pub fn parse(text: &str) -> Result<RateLimit, String> {
        let fail = |reason: &str| {
            format!("expected a rate like \"10/s\" or \"600/m\", found {text:?} ({reason})")
        };
        let (count, period) = text
            .split_once('/')
            .ok_or_else(|| fail("a rate is a number, `/` and a period"))?;
        let count: NonZeroU32 = count
            .trim()
            .parse()
            .map_err(|_| fail("the count must be a whole number above 0"))?;
        let period = period.trim();
        let period = if period.starts_with(|c: char| c.is_ascii_digit()) {
            period.to_string()
        } else {
            format!("1{period}")
        };
        let per = Duration::parse(&period)
            .map_err(|_| fail("the period must be `s`, `m`, `h` or a duration"))?;
        Ok(RateLimit {
            count,
            per: per.get(),
        })
    }
}

impl<'de> Deserialize<'de> for RateLimit {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<RateLimit, D::Error> {
        from_text(d, "a rate like \"10/s\"", RateLimit::parse)
    }
}

impl JsonSchema for RateLimit {
    fn schema_name() -> Cow<'static, str> {
        "RateLimit".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        string_schema(
            "requests per period: `10/s`, `600/m`, `100/15m`",
            Some(r"^\s*[0-9]+\s*/\s*[0-9.]*\s*[A-Za-z]+\s*$"),
        )
    }
}

/// A number from 0 to 1.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
pub struct Fraction(f64);

impl Fraction {
    /// One half, the default `max_delete_fraction`.
    pub const HALF: Fraction = Fraction(0.5);

    /// The value, in 0..=1.
    pub fn get(self) -> f64 {
        self.0
    }

    /// A fraction, if `value` lies in 0..=1.
    pub fn new(value: f64) -> Option<Fraction> {
        (0.0..=1.0).contains(&value).then_some(Fraction(value))
    }
}

impl<'de> Deserialize<'de> for Fraction {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Fraction, D::Error> {
        let value = f64::deserialize(d)?;
        Fraction::new(value).ok_or_else(|| {
            de::Error::custom(format!(
                "expected a fraction from 0 to 1, found {value}{HELP}0.5 means half"
            ))
        })
    }
}

impl JsonSchema for Fraction {
    fn schema_name() -> Cow<'static, str> {
        "Fraction".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({ "type": "number", "minimum": 0, "maximum": 1 })
    }
}

/// The name of an HTTP header (an RFC 9110 token: letters, digits and
/// ``!#$%&'*+-.^_`|~``), such as `Idempotency-Key`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderName(String);

impl HeaderName {
    /// The name, if `text` is a valid header name.
    pub fn parse(text: &str) -> Result<HeaderName, String> {
        let valid = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c);
        if text.is_empty() || !text.chars().all(valid) {
            return Err(format!(
                "expected a header name such as \"Idempotency-Key\", found {text:?}"
            ));
        }
        Ok(HeaderName(text.to_string()))
    }

    /// The name as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for HeaderName {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<HeaderName, D::Error> {
        from_text(d, "a header name", HeaderName::parse)
    }
}

impl JsonSchema for HeaderName {
    fn schema_name() -> Cow<'static, str> {
        "HeaderName".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        string_schema(
            "an HTTP header name, such as `Idempotency-Key`",
            Some(r"^[A-Za-z0-9!#$%&'*+.^_`|~-]+$"),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_must_be_positive() {
        assert_eq!(
            Duration::parse("1h30m").map(|d| d.get().as_secs()),
            Ok(5400)
        );
        assert_eq!(
            Duration::parse("soon").unwrap_err(),
            "expected a duration like \"15m\", found \"soon\" (expected a number at \"soon\")"
        );
        assert!(
            Duration::parse("-5m")
                .unwrap_err()
                .contains("longer than zero")
        );
        assert!(
            Duration::parse("0s")
                .unwrap_err()
                .contains("longer than zero")
        );
        let shown = |t: &str| Duration::parse(t).map(|d| d.to_string());
        assert_eq!(shown("90m"), Ok("1h30m".to_string()));
        assert_eq!(shown("2d1s"), Ok("2d1s".to_string()));
        assert_eq!(shown("1.25s"), Ok("1s250ms".to_string()));
    }

    #[test]
    fn cron_accepts_five_to_seven_fields_and_names() {
        let cron = CronSchedule::parse("0 16 * * Fri").expect("valid");
        assert_eq!(cron.with_seconds(), "0 0 16 * * Fri");
        assert!(CronSchedule::parse("*/10 * * * * *").is_ok());
        let error = CronSchedule::parse("0 25 * * *").unwrap_err();
        assert!(
            error.starts_with(
                "invalid cron expression \"0 25 * * *\": the hour field `25` is wrong ("
            ),
            "{error}"
        );
        let error = CronSchedule::parse("every day").unwrap_err();
        assert!(error.contains("it has 2 fields"), "{error}");
    }

    #[test]
    fn time_zones_suggest_the_right_spelling() {
        assert!(TimeZone::parse("Europe/Amsterdam").is_ok());
        assert!(
            TimeZone::parse("europe/amsterdam")
                .unwrap_err()
                .ends_with("did you mean `Europe/Amsterdam`?")
        );
        assert!(
            TimeZone::parse("Europe/Amsterdm")
                .unwrap_err()
                .ends_with("did you mean `Europe/Amsterdam`?")
        );
        assert!(
            TimeZone::parse("Mars/Olympus")
                .unwrap_err()
                .contains("IANA")
        );
    }

    #[test]
    fn timestamps_need_an_offset() {
        assert!(Timestamp::parse("2026-12-04T00:00:00Z").is_ok());
        assert!(Timestamp::parse("2026-12-04T00:00:00+01:00").is_ok());
        assert!(Timestamp::parse("2026-12-04").is_err());
    }

    #[test]
    fn rate_limits() {
        let rate = RateLimit::parse("10/s").expect("valid");
        assert_eq!((rate.count.get(), rate.per.as_secs()), (10, 1));
        let rate = RateLimit::parse("600/m").expect("valid");
        assert_eq!((rate.count.get(), rate.per.as_secs()), (600, 60));
        let rate = RateLimit::parse("100 / 15m").expect("valid");
        assert_eq!(rate.per.as_secs(), 900);
        assert!(RateLimit::parse("0/s").is_err());
        assert!(RateLimit::parse("10 per second").is_err());
        assert!(RateLimit::parse("10/fortnight").is_err());
    }

    #[test]
    fn header_names_are_tokens() {
        assert_eq!(
            HeaderName::parse("Idempotency-Key").map(|h| h.as_str().to_string()),
            Ok("Idempotency-Key".to_string())
        );
        assert!(HeaderName::parse("").is_err());
        assert!(HeaderName::parse("Idempotency Key").is_err());
        assert!(HeaderName::parse("Key:").is_err());
    }
}
