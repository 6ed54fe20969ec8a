//! Helpers shared by the time functions: reading times, time zones and strftime formats,
//! and writing RFC 3339.
//!
//! Times are RFC 3339 strings; results are in UTC with a `Z`, with fractional seconds only
//! when they are not zero. Dates are `YYYY-MM-DD` strings.

use std::borrow::Cow;
use std::fmt::Write as _;

use chrono::format::{Fixed, Item, Numeric, Parsed, StrftimeItems};
use chrono::offset::LocalResult;
use chrono::{
    DateTime, Datelike, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, SecondsFormat, TimeZone,
    Timelike, Utc,
};
use chrono_tz::Tz;

use super::civil::{Civil, rfc3339_utc};
use crate::mapping::functions::{Args, FnError};
use crate::mapping::value::{self, Value};

/// A time as read from text: an instant, a wall-clock time without offset, or a date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Moment {
    Instant(DateTime<Utc>),
    Local(NaiveDateTime),
    Date(NaiveDate),
}

impl Moment {
    /// The instant; a local time is taken in `zone`, and a date as midnight there.
    pub(crate) fn instant(self, zone: Tz) -> Result<DateTime<Utc>, String> {
        match self {
            Moment::Instant(t) => Ok(t),
            Moment::Local(local) => local_to_utc(local, zone),
            Moment::Date(date) => local_to_utc(date.and_time(NaiveTime::MIN), zone),
        }
    }
}

/// The instant of a wall-clock time in `zone`. A time skipped by a daylight saving time
/// change is an error; a time that occurs twice gives the earlier instant.
pub(crate) fn local_to_utc(local: NaiveDateTime, zone: Tz) -> Result<DateTime<Utc>, String> {
    if zone == Tz::UTC {
        return Ok(local.and_utc());
    }
    match zone.from_local_datetime(&local) {
        LocalResult::Single(t) => Ok(t.to_utc()),
        LocalResult::Ambiguous(a, b) => Ok(a.min(b).to_utc()),
        LocalResult::None => Err(format!(
            "{local} does not exist in {} (the clocks skip it when daylight saving time starts)",
            zone.name()
        )),
    }
}

/// Reads a time written as RFC 3339 or ISO 8601 (`2026-03-29T10:15:00+02:00`, `…Z`, `T` or
/// a space between date and time, seconds and fraction optional, offsets `+02:00`, `+0200`,
/// `+02` or `UTC`), without offset (a [`Moment::Local`]), a bare date, or RFC 2822.
pub(crate) fn parse_moment(text: &str) -> Option<Moment> {
    let text = text.trim();
    parse_iso(text.as_bytes()).or_else(|| {
        DateTime::parse_from_rfc2822(text)
            .ok()
            .map(|t| Moment::Instant(t.to_utc()))
    })
}

/// `n` ASCII digits at `at`, as a number.
fn digits(b: &[u8], at: usize, n: usize) -> Option<u32> {
    b.get(at..at.checked_add(n)?)?
        .iter()
        .try_fold(0u32, |acc, &d| {
            d.is_ascii_digit().then(|| acc * 10 + u32::from(d - b'0'))
        })
}

fn parse_iso(b: &[u8]) -> Option<Moment> {
    let year = digits(b, 0, 4)?;
    if b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
        return None;
    }
    let date = NaiveDate::from_ymd_opt(
        i32::try_from(year).ok()?,
        digits(b, 5, 2)?,
        digits(b, 8, 2)?,
    )?;
    if b.len() == 10 {
        return Some(Moment::Date(date));
    }
    if !matches!(b.get(10), Some(b'T' | b't' | b' ')) || b.get(13) != Some(&b':') {
        return None;
    }
    let (hour, minute) = (digits(b, 11, 2)?, digits(b, 14, 2)?);
    let (mut second, mut nano, mut at) = (0, 0, 16);
    if b.get(at) == Some(&b':') {
        second = digits(b, at + 1, 2)?;
        at += 3;
        if matches!(b.get(at), Some(b'.' | b',')) {
            at += 1;
            let start = at;
            while let Some(d) = b.get(at).filter(|d| d.is_ascii_digit()) {
                if at - start < 9 {
                    nano = nano * 10 + u32::from(d - b'0');
                }
                at += 1;
            }
            let count = at - start;
            if count == 0 {
                return None;
            }
            for _ in count..9 {
                nano *= 10;
            }
        }
    }
    if second > 59 {
        return None;
    }
    let local = date.and_time(NaiveTime::from_hms_nano_opt(hour, minute, second, nano)?);
    let rest = b.get(at..)?;
    let rest = rest.strip_prefix(b" ").unwrap_or(rest);
    match rest {
        [] => Some(Moment::Local(local)),
        [b'Z' | b'z'] => Some(Moment::Instant(local.and_utc())),
        _ if rest.eq_ignore_ascii_case(b"UTC") => Some(Moment::Instant(local.and_utc())),
        [sign @ (b'+' | b'-'), offset @ ..] => {
            let hours = digits(offset, 0, 2)?;
            let minutes = match offset.len() {
                2 => 0,
                4 => digits(offset, 2, 2)?,
                5 if offset[2] == b':' => digits(offset, 3, 2)?,
                _ => return None,
            };
            if hours > 23 || minutes > 59 {
                return None;
            }
            let seconds = i32::try_from(hours * 3600 + minutes * 60).ok()?;
            let seconds = if *sign == b'-' { -seconds } else { seconds };
            let t = FixedOffset::east_opt(seconds)?
                .from_local_datetime(&local)
                .single()?;
            Some(Moment::Instant(t.to_utc()))
        }
        _ => None,
    }
}

/// Reads argument `i` as a time (see [`parse_moment`]); the error names the value.
pub(crate) fn moment_arg(args: &Args<'_, '_>, i: usize) -> Result<Moment, FnError> {
    let text = args.text(i)?;
    parse_moment(&text).ok_or_else(|| {
        args.fail(format_args!(
            "{} is not a time (expected RFC 3339 such as \"2026-03-29T10:15:00Z\" or a date \
             such as \"2026-03-29\")",
            value::excerpt(args.value(i))
        ))
    })
}

/// A time as the time functions give it: RFC 3339 in UTC with `Z`, with fractional seconds
/// only when they are not zero. RFC 3339 has four-digit years, so times outside the years
/// 0000–9999 are an error.
pub(crate) fn rfc3339(t: DateTime<Utc>) -> Result<Value, String> {
    Ok(Value::String(match rfc3339_text(t)? {
        Rfc3339::Whole(text) => std::str::from_utf8(&text)
            .map_err(|e| e.to_string())?
            .to_string(),
        Rfc3339::Fraction(text) => text,
    }))
}

/// A time in RFC 3339 (see [`rfc3339`]), before it becomes a value.
pub(crate) enum Rfc3339 {
    /// Whole seconds, the common case: `2026-03-29T08:15:00Z` (ASCII).
    Whole([u8; 20]),
    /// With fractional seconds.
    Fraction(String),
}

pub(crate) fn rfc3339_text(t: DateTime<Utc>) -> Result<Rfc3339, String> {
    // The fields of the UTC time, read without converting to local time (a no-op for UTC
    // that still costs a date computation per field).
    let utc = t.naive_utc();
    check_year(utc.year())?;
    if utc.nanosecond() != 0 {
        return Ok(Rfc3339::Fraction(
            t.to_rfc3339_opts(SecondsFormat::AutoSi, true),
        ));
    }
    // Whole seconds, the common case: written without the formatting machinery (this
    // is on the hot path of every mapped time).
    rfc3339_utc(t.timestamp())
        .map(Rfc3339::Whole)
        .ok_or_else(|| format!("the year {} is out of range (0000 to 9999)", utc.year()))
}

/// A date as the time functions give it: `YYYY-MM-DD` (years 0000–9999).
pub(crate) fn date_text(date: NaiveDate) -> Result<Value, String> {
    check_year(date.year())?;
    Ok(Value::String(date.to_string()))
}

fn check_year(year: i32) -> Result<(), String> {
    if (0..=9999).contains(&year) {
        Ok(())
    } else {
        Err(format!("the year {year} is out of range (0000 to 9999)"))
    }
}

/// Looks up an IANA time zone (`Europe/Amsterdam`, `UTC`); case does not matter.
pub(crate) fn parse_zone(name: &str) -> Result<Tz, String> {
    let name = name.trim();
    name.parse::<Tz>()
        .ok()
        .or_else(|| {
            chrono_tz::TZ_VARIANTS
                .iter()
                .copied()
                .find(|tz| tz.name().eq_ignore_ascii_case(name))
        })
        .ok_or_else(|| {
            format!(
                "unknown time zone {} (expected an IANA name such as \"Europe/Amsterdam\", or \
                 \"UTC\")",
                value::excerpt(&Value::String(name.to_string()))
            )
        })
}

/// A strftime format (chrono syntax), split into items once.
#[derive(Debug, Clone)]
pub(crate) struct TimeFormat {
    pub(crate) text: String,
    pub(crate) items: Vec<Item<'static>>,
    /// For reading, when the format only has numeric dates and times, spaces and literals.
    fast: Option<FastFormat>,
}

impl TimeFormat {
    /// Reads text with this format (see [`parse_with_format`]).
    pub(crate) fn parse(&self, text: &str) -> Result<Moment, String> {
        if let Some(moment) = self.fast.as_ref().and_then(|fast| fast.parse(text)) {
            return Ok(moment);
        }
        parse_with_format(text, &self.items)
    }

    /// The date and time fields of `text` when the fast reader takes this format and
    /// the text, not yet checked; `None` leaves the text to [`TimeFormat::parse`].
    pub(crate) fn read_civil(&self, text: &str) -> Option<Civil> {
        self.fast.as_ref()?.read(text)
    }
}

/// A numeric field of a [`FastFormat`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Year = 0,
    Month = 1,
    Day = 2,
    Hour = 3,
    Minute = 4,
    Second = 5,
}

#[derive(Debug, Clone)]
enum Piece {
    /// A one-byte literal (`-`, `/`, `:`), the common case.
    Byte(u8),
    Literal(String),
    Space,
    Field(Field),
}

/// A reader for the common formats (`%d-%m-%Y %H:%M`) that is much faster than chrono's
/// general one. It accepts a subset of what chrono accepts, with the same result;
/// anything else (including every error) goes to chrono.
#[derive(Debug, Clone)]
struct FastFormat {
    pieces: Vec<Piece>,
    has_time: bool,
    /// The layout of text in which every field has all its digits and each space is one
    /// space: checked at fixed positions, the common case.
    full_width: Option<FullWidth>,
}

/// Text of one length with digits and literal bytes at known places
/// (`%d/%m/%Y %H:%M`: `DD/MM/YYYY HH:MM`).
#[derive(Debug, Clone)]
struct FullWidth {
    len: usize,
    /// (field, first byte, number of digits)
    fields: Vec<(Field, usize, usize)>,
    /// (place, byte)
    literals: Vec<(usize, u8)>,
}

impl FullWidth {
    fn plan(pieces: &[Piece]) -> Option<FullWidth> {
        let mut layout = FullWidth {
            len: 0,
            fields: Vec::new(),
            literals: Vec::new(),
        };
        for piece in pieces {
            match piece {
                Piece::Byte(byte) => layout.literals.push((layout.len, *byte)),
                Piece::Space => layout.literals.push((layout.len, b' ')),
                Piece::Literal(_) => return None,
                Piece::Field(field) => {
                    let width = if *field == Field::Year { 4 } else { 2 };
                    layout.fields.push((*field, layout.len, width));
                    layout.len += width;
                    continue;
                }
            }
            layout.len += 1;
        }
        Some(layout)
    }

    /// The fields' values, when `text` has this layout. The general reader gives the
    /// same values for such text: each field ends after its full width.
    fn read(&self, text: &[u8]) -> Option<[u32; 6]> {
        if text.len() != self.len {
            return None;
        }
        for (place, byte) in &self.literals {
            if text.get(*place) != Some(byte) {
                return None;
            }
        }
        let mut values = [0u32; 6];
        for (field, start, width) in &self.fields {
            let mut value = 0;
            for digit in text.get(*start..start + width)? {
                if !digit.is_ascii_digit() {
                    return None;
                }
                value = value * 10 + u32::from(digit - b'0');
            }
            values[*field as usize] = value;
        }
        Some(values)
    }
}

impl FastFormat {
    /// A fast reader for the items, when they are a full date with optionally an hour,
    /// minute and second, literals and spaces, and nothing else.
    fn plan(items: &[Item<'_>]) -> Option<FastFormat> {
        let mut seen = [false; 6];
        let mut pieces = Vec::with_capacity(items.len());
        for item in items {
            let piece = match item {
                Item::Literal(text) => literal(text),
                Item::OwnedLiteral(text) => literal(text),
                Item::Space(_) | Item::OwnedSpace(_) => Piece::Space,
                Item::Numeric(numeric, _) => {
                    let field = match numeric {
                        Numeric::Year => Field::Year,
                        Numeric::Month => Field::Month,
                        Numeric::Day => Field::Day,
                        Numeric::Hour => Field::Hour,
                        Numeric::Minute => Field::Minute,
                        Numeric::Second => Field::Second,
                        _ => return None,
                    };
                    if std::mem::replace(&mut seen[field as usize], true) {
                        return None;
                    }
                    Piece::Field(field)
                }
                _ => return None,
            };
            pieces.push(piece);
        }
        let [year, month, day, hour, minute, second] = seen;
        let complete = year && month && day && (hour || !minute) && (minute || !second);
        complete.then(|| FastFormat {
            full_width: FullWidth::plan(&pieces),
            pieces,
            has_time: hour,
        })
    }

    fn parse(&self, text: &str) -> Option<Moment> {
        let civil = self.read(text)?;
        let date =
            NaiveDate::from_ymd_opt(i32::try_from(civil.year).ok()?, civil.month, civil.day)?;
        if !self.has_time {
            return Some(Moment::Date(date));
        }
        let time = NaiveTime::from_hms_opt(civil.hour, civil.minute, civil.second)?;
        Some(Moment::Local(date.and_time(time)))
    }

    /// The fields of `text`, not checked (a date alone has the time 00:00:00).
    fn read(&self, text: &str) -> Option<Civil> {
        let values = match self
            .full_width
            .as_ref()
            .and_then(|f| f.read(text.as_bytes()))
        {
            Some(values) => values,
            None => self.read_pieces(text)?,
        };
        let [year, month, day, hour, minute, second] = values;
        Some(Civil {
            year,
            month,
            day,
            hour,
            minute,
            second,
        })
    }

    /// The fields' values, read piece by piece (fields of fewer digits, runs of spaces).
    fn read_pieces(&self, text: &str) -> Option<[u32; 6]> {
        let mut s = text.as_bytes();
        let mut values = [0u32; 6];
        for piece in &self.pieces {
            match piece {
                Piece::Byte(byte) => match s.split_first() {
                    Some((first, rest)) if first == byte => s = rest,
                    _ => return None,
                },
                Piece::Literal(literal) => s = s.strip_prefix(literal.as_bytes())?,
                Piece::Space => s = skip_space(s)?,
                Piece::Field(field) => {
                    if s.first().is_some_and(|b| !b.is_ascii_digit()) {
                        s = skip_space(s)?;
                    }
                    // As chrono: up to 4 digits for a year, 2 for the others.
                    let width = if *field == Field::Year { 4 } else { 2 };
                    let mut value = 0;
                    let mut count = 0;
                    while let Some(digit) = s.get(count).filter(|b| b.is_ascii_digit()) {
                        if count == width {
                            break;
                        }
                        value = value * 10 + u32::from(digit - b'0');
                        count += 1;
                    }
                    if count == 0 {
                        return None;
                    }
                    values[*field as usize] = value;
                    s = s.get(count..)?;
                }
            }
        }
        s.is_empty().then_some(values)
    }
}

/// A literal piece: one byte, or longer text.
fn literal(text: &str) -> Piece {
    match text.as_bytes() {
        [byte] => Piece::Byte(*byte),
        _ => Piece::Literal(text.to_string()),
    }
}

/// Skips white space as chrono does; `None` (leave it to chrono) at a non-ASCII character,
/// which might be Unicode white space.
fn skip_space(s: &[u8]) -> Option<&[u8]> {
    let start = s
        .iter()
        .position(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r'))
        .unwrap_or(s.len());
    let rest = &s[start..];
    match rest.first() {
        Some(b) if !b.is_ascii() => None,
        _ => Some(rest),
    }
}

/// What the format is for: reading accepts `Z` where `%z` or `%:z` expect an offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Use {
    Parse,
    Format,
}

/// Splits a strftime format into items; an unknown or incomplete `%` specifier is an error,
/// and so is, for formatting, a specifier that only works for reading.
pub(crate) fn compile_format(text: &str, used_for: Use) -> Result<TimeFormat, String> {
    let quoted = || value::excerpt(&Value::String(text.to_string()));
    let mut items = StrftimeItems::new(text).parse_to_owned().map_err(|_| {
        format!(
            "invalid time format {}: unknown or incomplete % specifier",
            quoted()
        )
    })?;
    match used_for {
        Use::Parse => {
            for item in &mut items {
                if matches!(
                    item,
                    Item::Fixed(Fixed::TimezoneOffset | Fixed::TimezoneOffsetColon)
                ) {
                    *item = Item::Fixed(Fixed::TimezoneOffsetZ);
                }
            }
        }
        Use::Format => {
            let sample = DateTime::<Utc>::UNIX_EPOCH.with_timezone(&Tz::UTC);
            let mut out = String::new();
            if write!(out, "{}", sample.format_with_items(items.iter())).is_err() {
                return Err(format!(
                    "invalid time format {}: it has a specifier that only works for reading",
                    quoted()
                ));
            }
        }
    }
    let fast = match used_for {
        Use::Parse => FastFormat::plan(&items),
        Use::Format => None,
    };
    Ok(TimeFormat {
        text: text.to_string(),
        items,
        fast,
    })
}

/// Reads text with a strftime format: an instant when the format has an offset (`%z`) or
/// a Unix timestamp (`%s`), a local time otherwise, a date when it has no time of day.
/// The error is chrono's reason.
pub(crate) fn parse_with_format(text: &str, items: &[Item<'_>]) -> Result<Moment, String> {
    let mut parsed = Parsed::new();
    chrono::format::parse(&mut parsed, text, items.iter()).map_err(|e| e.to_string())?;
    if parsed.offset().is_some() {
        return parsed
            .to_datetime()
            .map(|t| Moment::Instant(t.to_utc()))
            .map_err(|e| e.to_string());
    }
    if parsed.timestamp().is_some() {
        return parsed
            .to_naive_datetime_with_offset(0)
            .map(|t| Moment::Instant(t.and_utc()))
            .map_err(|e| e.to_string());
    }
    let has_time = parsed.hour_div_12().is_some()
        || parsed.hour_mod_12().is_some()
        || parsed.minute().is_some()
        || parsed.second().is_some();
    if !has_time {
        return parsed
            .to_naive_date()
            .map(Moment::Date)
            .map_err(|e| e.to_string());
    }
    if parsed.minute().is_none() && parsed.hour_mod_12().is_some() {
        // An hour without minutes (`%Y%m%d%H`) is on the hour.
        parsed.set_minute(0).map_err(|e| e.to_string())?;
    }
    parsed
        .to_naive_datetime_with_offset(0)
        .map(Moment::Local)
        .map_err(|e| e.to_string())
}

/// An argument of a call site: known when the call site was prepared (a constant), or
/// read from the arguments at run time.
pub(crate) enum Prepared<T> {
    Known(T),
    AtRunTime,
}

/// Argument `i` when it is a constant: `Some(&Null)` when it was left out, `None` when it
/// is only known at run time.
fn constant<'v>(consts: &[Option<&'v Value>], i: usize) -> Option<&'v Value> {
    const NULL: &Value = &Value::Null;
    match consts.get(i) {
        None => Some(NULL),
        Some(c) => *c,
    }
}

/// The time zone argument `i` of a call site (null or left out: UTC).
pub(crate) fn prepare_zone(consts: &[Option<&Value>], i: usize) -> Result<Prepared<Tz>, String> {
    match constant(consts, i) {
        None => Ok(Prepared::AtRunTime),
        Some(Value::Null) => Ok(Prepared::Known(Tz::UTC)),
        Some(Value::String(name)) => parse_zone(name).map(Prepared::Known),
        Some(other) => Err(format!(
            "the time zone must be text, got {} {}",
            value::type_name(other),
            value::excerpt(other)
        )),
    }
}

/// The format argument `i` of a call site (null or left out: none).
pub(crate) fn prepare_format(
    consts: &[Option<&Value>],
    i: usize,
    used_for: Use,
) -> Result<Prepared<Option<TimeFormat>>, String> {
    match constant(consts, i) {
        None => Ok(Prepared::AtRunTime),
        Some(Value::Null) => Ok(Prepared::Known(None)),
        Some(Value::String(text)) => {
            compile_format(text, used_for).map(|f| Prepared::Known(Some(f)))
        }
        Some(other) => Err(format!(
            "the time format must be text, got {} {}",
            value::type_name(other),
            value::excerpt(other)
        )),
    }
}

impl Prepared<Tz> {
    /// The zone: the prepared one, or argument `i` looked up now.
    pub(crate) fn get(&self, args: &Args<'_, '_>, i: usize) -> Result<Tz, FnError> {
        match self {
            Prepared::Known(zone) => Ok(*zone),
            Prepared::AtRunTime => match args.opt_text(i)? {
                None => Ok(Tz::UTC),
                Some(name) => parse_zone(&name).map_err(|e| args.fail(e)),
            },
        }
    }
}

impl Prepared<Option<TimeFormat>> {
    /// The format: the prepared one, or argument `i` split into items now.
    pub(crate) fn get(
        &self,
        args: &Args<'_, '_>,
        i: usize,
        used_for: Use,
    ) -> Result<Option<Cow<'_, TimeFormat>>, FnError> {
        match self {
            Prepared::Known(format) => Ok(format.as_ref().map(Cow::Borrowed)),
            Prepared::AtRunTime => match args.opt_text(i)? {
                None => Ok(None),
                Some(text) => compile_format(&text, used_for)
                    .map(|f| Some(Cow::Owned(f)))
                    .map_err(|e| args.fail(e)),
            },
        }
    }
}

/// Test support: calls a prepared built-in as if no argument were a constant, so that
/// everything is read at run time.
#[cfg(test)]
pub(crate) fn call_at_run_time(name: &str, args: &[Value]) -> Result<Value, FnError> {
    use crate::mapping::functions::{Imp, Nulls, builtins};

    let function = builtins()
        .into_iter()
        .find(|f| f.name == name)
        .ok_or_else(|| FnError::new(format!("no built-in named {name}")))?;
    let Imp::Prepared(prepare) = function.imp else {
        return Err(FnError::new(format!("{name} is not prepared")));
    };
    if function.nulls == Nulls::Propagate && args.first().is_none_or(Value::is_null) {
        return Ok(Value::Null);
    }
    let consts = vec![None; args.len()];
    let call = prepare(&consts).map_err(FnError)?;
    let mut values: Vec<Cow<'_, Value>> = args.iter().map(Cow::Borrowed).collect();
    let mut call_args = Args::new(function.name, function.params, &mut values, None);
    call.call(&mut call_args)
}

#[cfg(test)]
mod rfc3339_tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn the_fast_path_writes_what_chrono_writes() {
        let mut t = Utc
            .with_ymd_and_hms(0, 1, 1, 0, 0, 0)
            .single()
            .expect("valid");
        let step = chrono::TimeDelta::seconds(86_399 * 37 + 3_607);
        while t.year() <= 9999 {
            let expected = t.to_rfc3339_opts(SecondsFormat::AutoSi, true);
            assert_eq!(rfc3339(t), Ok(Value::String(expected)));
            t += step * 301;
        }
        let fractional = Utc
            .timestamp_opt(1_700_000_000, 5_000_000)
            .single()
            .expect("valid");
        assert_eq!(
            rfc3339(fractional),
            Ok(Value::String("2023-11-14T22:13:20.005Z".into()))
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(text: &str) -> Option<String> {
        let t = parse_moment(text)?.instant(Tz::UTC).ok()?;
        Some(t.to_rfc3339_opts(SecondsFormat::AutoSi, true))
    }

    #[test]
    fn reads_rfc3339_iso8601_and_rfc2822() {
        for (text, expected) in [
            ("2026-03-29T10:15:00Z", "2026-03-29T10:15:00Z"),
            ("2026-03-29t10:15:00z", "2026-03-29T10:15:00Z"),
            ("2026-03-29T10:15:00+02:00", "2026-03-29T08:15:00Z"),
            ("2026-03-29T10:15:00.250-01:30", "2026-03-29T11:45:00.250Z"),
            ("2026-03-29 10:15:00+0200", "2026-03-29T08:15:00Z"),
            ("2026-03-29 10:15:00+02", "2026-03-29T08:15:00Z"),
            ("2026-03-29 10:15:00 UTC", "2026-03-29T10:15:00Z"),
            ("2026-03-29 10:15:00 +01:00", "2026-03-29T09:15:00Z"),
            ("2026-03-29T10:15+02:00", "2026-03-29T08:15:00Z"),
            ("2026-03-29 10:15", "2026-03-29T10:15:00Z"),
            ("2026-03-29T10:15:07", "2026-03-29T10:15:07Z"),
            ("2026-03-29T10:15:07,5", "2026-03-29T10:15:07.500Z"),
            (
                "2026-03-29T10:15:07.1234567891",
                "2026-03-29T10:15:07.123456789Z",
            ),
            (" 2026-03-29 ", "2026-03-29T00:00:00Z"),
            ("Sun, 29 Mar 2026 10:15:00 +0200", "2026-03-29T08:15:00Z"),
        ] {
            assert_eq!(utc(text).as_deref(), Some(expected), "{text}");
        }
    }

    #[test]
    fn refuses_what_is_not_a_time() {
        for text in [
            "",
            "2026",
            "2026-3-29",
            "2026-02-30",
            "2026-03-29T",
            "2026-03-29T25:00",
            "2026-03-29T10:60",
            "2026-03-29T10:15:60Z",
            "2026-03-29T10:15:00.Z",
            "2026-03-29T10:15:00+2",
            "2026-03-29T10:15:00+24:00",
            "2026-03-29T10:15:00 Europe/Amsterdam",
            "29-03-2026",
            "tomorrow",
        ] {
            assert_eq!(parse_moment(text), None, "{text}");
        }
    }

    #[test]
    fn local_times_follow_daylight_saving_time() {
        let zone = parse_zone("Europe/Amsterdam").unwrap();
        let local = |s: &str| NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap();
        // The gap: clocks go from 02:00 to 03:00.
        let gap = local_to_utc(local("2026-03-29 02:30"), zone).unwrap_err();
        assert!(gap.contains("does not exist in Europe/Amsterdam"), "{gap}");
        // The overlap: 02:30 happens twice; the earlier (summer time) instant wins.
        let t = local_to_utc(local("2026-10-25 02:30"), zone).unwrap();
        assert_eq!(t.to_rfc3339(), "2026-10-25T00:30:00+00:00");
        let t = local_to_utc(local("2026-07-01 12:00"), zone).unwrap();
        assert_eq!(t.to_rfc3339(), "2026-07-01T10:00:00+00:00");
    }

    #[test]
    fn zones_are_iana_names_in_any_case() {
        assert_eq!(parse_zone("Europe/Amsterdam"), Ok(Tz::Europe__Amsterdam));
        assert_eq!(parse_zone("europe/amsterdam"), Ok(Tz::Europe__Amsterdam));
        assert_eq!(parse_zone("utc"), Ok(Tz::UTC));
        assert!(
            parse_zone("Mars/Olympus")
                .unwrap_err()
                .contains("unknown time zone")
        );
        assert!(parse_zone("").is_err());
    }

    #[test]
    fn formats_are_checked_when_compiled() {
        assert!(compile_format("%Y-%m-%d", Use::Parse).is_ok());
        assert!(
            compile_format("%Y-%Q", Use::Parse)
                .unwrap_err()
                .contains("invalid time format")
        );
        assert!(compile_format("%", Use::Format).is_err());
        assert!(compile_format("%#z", Use::Parse).is_ok());
        assert!(
            compile_format("%#z", Use::Format)
                .unwrap_err()
                .contains("only works for reading")
        );
    }

    #[test]
    fn formats_read_instants_local_times_and_dates() {
        let read = |text: &str, format: &str| {
            let format = compile_format(format, Use::Parse).unwrap();
            parse_with_format(text, &format.items)
        };
        let date = NaiveDate::from_ymd_opt(2026, 3, 29).unwrap();
        assert_eq!(read("29/03/2026", "%d/%m/%Y"), Ok(Moment::Date(date)));
        let at = |h, m| Moment::Local(date.and_hms_opt(h, m, 0).unwrap());
        assert_eq!(read("29/03/2026 10:15", "%d/%m/%Y %H:%M"), Ok(at(10, 15)));
        assert_eq!(read("2026032910", "%Y%m%d%H"), Ok(at(10, 0)));
        assert_eq!(
            read("29/03/2026 10:15 PM", "%d/%m/%Y %I:%M %p"),
            Ok(at(22, 15))
        );
        let instant = |s: &str| Moment::Instant(s.parse::<DateTime<Utc>>().unwrap());
        assert_eq!(
            read("29/03/2026 10:15 +0200", "%d/%m/%Y %H:%M %z"),
            Ok(instant("2026-03-29T08:15:00Z"))
        );
        assert_eq!(
            read("29/03/2026 10:15 Z", "%d/%m/%Y %H:%M %z"),
            Ok(instant("2026-03-29T10:15:00Z"))
        );
        assert_eq!(
            read("1700000000", "%s"),
            Ok(instant("2023-11-14T22:13:20Z"))
        );
        assert!(read("10:15", "%H:%M").is_err());
        assert!(read("2026-03-29", "%d/%m/%Y").is_err());
        assert!(read("31/02/2026", "%d/%m/%Y").is_err());
    }

    #[test]
    fn the_fast_reader_agrees_with_chrono() {
        let formats = [
            "%d-%m-%Y %H:%M:%S",
            "%Y-%m-%d",
            "%Y%m%d%H%M%S",
            "%Y%m%d",
            "%d/%m/%Y %H",
            "%e.%m.%Y %k:%M",
            "%m/%d/%Y  %H:%M",
        ];
        let inputs = [
            "29-03-2026 10:15:00",
            "2026-03-29",
            "20260329101500",
            "20260329",
            "29/03/2026 10",
            " 9.03.2026  7:05",
            "03/29/2026 10:15",
            "3/9/2026 1:5",
            "29-03-2026 10:15:60",
            "29-03-2026 24:00:00",
            "31-02-2026 10:15:00",
            "29-03-2026\t10:15:00",
            "29-03-2026\u{a0}10:15:00",
            "29-03-+2026 10:15:00",
            "29-03-12026 10:15:00",
            "2026-03-29 ",
            "2026-3-9",
            "",
        ];
        let mut fast_hits = 0;
        for format in formats {
            let compiled = compile_format(format, Use::Parse).unwrap();
            let fast = compiled.fast.as_ref().expect(format);
            for input in inputs {
                let by_chrono = parse_with_format(input, &compiled.items);
                if let Some(moment) = fast.parse(input) {
                    fast_hits += 1;
                    assert_eq!(Ok(moment), by_chrono, "{format} {input:?}");
                }
                assert_eq!(compiled.parse(input), by_chrono, "{format} {input:?}");
            }
        }
        assert!(fast_hits >= 8, "{fast_hits}");
        for slow in [
            "%d-%m-%Y %H:%M:%S%.f",
            "%d %b %Y",
            "%Y-%m-%d %z",
            "%H:%M",
            "%Y-%m",
            "%s",
        ] {
            let compiled = compile_format(slow, Use::Parse).unwrap();
            assert!(compiled.fast.is_none(), "{slow}");
        }
    }
}
