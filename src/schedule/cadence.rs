//! When a job runs: a cron expression (the `cron` crate) in an IANA
//! timezone (`chrono-tz`).
//!
//! Three forms are accepted:
//! - the standard 5-field crontab form `MIN HOUR DOM MONTH DOW`, where
//!   day-of-week numbers run from 0 (Sunday) to 6, 7 being Sunday too; it
//!   runs at second 0, and its day-of-week field is translated to the
//!   `cron` crate's numbering;
//! - the `cron` crate's 6-field form with seconds first
//!   (`SEC MIN HOUR DOM MONTH DOW`, and an optional 7th field, the year),
//!   whose day-of-week numbers run from 1 (Sunday) to 7 (Saturday);
//! - the shorthands `@yearly`, `@monthly`, `@weekly`, `@daily`, `@hourly`.
//!
//! Day names (`MON-FRI`) mean the same in every form. As in the `cron`
//! crate, a time must match both the day-of-month and the day-of-week
//! field. Vixie cron (crontab) runs when either matches, unless one of the
//! two begins with `*`: so a line whose two day fields are both restricted
//! (neither begins with `*` nor is `?`) means something else here than in
//! a crontab, and [`Cadence::warnings`] says so. It also warns of a 6- or
//! 7-field line whose day of week has numbers: they count from 1 (Sunday),
//! not 0 (Sunday) as in the 5-field form.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

/// A parsed schedule: the cron expression and its timezone.
#[derive(Clone)]
pub(crate) struct Cadence {
    /// The expression as written in the configuration.
    pub expression: String,
    /// The expression given to the `cron` crate (6 or 7 fields).
    pub normalized: String,
    /// The timezone the expression is read in.
    pub timezone: Tz,
    schedule: cron::Schedule,
}

impl fmt::Debug for Cadence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Cadence({:?} in {})", self.expression, self.timezone)
    }
}

/// Why an expression or a timezone was refused; its message starts with
/// the key at fault (`schedule: "…": …` or `timezone: "…": …`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CadenceError {
    /// The cron expression is not one of the accepted forms, or never
    /// matches a time to come.
    Expression {
        /// The expression as written.
        expression: String,
        /// What is wrong with it, naming the field: `minute 61 is out of
        /// range 0-59`.
        reason: String,
    },
    /// The timezone is not an IANA name.
    Timezone {
        /// The name as written.
        timezone: String,
    },
}

impl CadenceError {
    /// The configuration key at fault: `schedule` or `timezone`.
    pub fn key(&self) -> &'static str {
        match self {
            CadenceError::Expression { .. } => "schedule",
            CadenceError::Timezone { .. } => "timezone",
        }
    }

    /// What is wrong with the key's value: `"61 * * * *": minute 61 is out
    /// of range 0-59`.
    pub fn detail(&self) -> String {
        match self {
            CadenceError::Expression { expression, reason } => format!("{expression:?}: {reason}"),
            CadenceError::Timezone { timezone } => {
                format!("{timezone:?} is not an IANA timezone name (such as UTC or Europe/Paris)")
            }
        }
    }
}

impl fmt::Display for CadenceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.key(), self.detail())
    }
}

impl std::error::Error for CadenceError {}

impl Cadence {
    /// Parse `expression` (see the module documentation for the forms)
    /// read in `timezone`, an IANA name such as `Europe/Paris` or `UTC`.
    pub(crate) fn parse(expression: &str, timezone: &str) -> Result<Cadence, CadenceError> {
        let bad = |reason: String| CadenceError::Expression { expression: expression.to_string(), reason };
        let fields: Vec<&str> = expression.split_whitespace().collect();
        let normalized = match fields.as_slice() {
            [one] if one.starts_with('@') => {
                if !SHORTHANDS.contains(one) {
                    return Err(bad(unknown_shorthand(one)));
                }
                (*one).to_string()
            }
            [minute, hour, dom, month, dow] => {
                let dow = standard_day_of_week(dow).map_err(bad)?;
                format!("0 {minute} {hour} {dom} {month} {dow}")
            }
            [_, _, _, _, _, _] | [_, _, _, _, _, _, _] => fields.join(" "),
            _ => {
                return Err(bad(format!(
                    "{} fields; expected 5 (minute hour day-of-month month day-of-week), or 6 or 7 with seconds first (and a year last)",
                    fields.len()
                )));
            }
        };
        // The crate's messages show the translated expression and get
        // ranges wrong ("less than 59"): name the field and its range
        // ourselves, on the fields as written.
        let schedule = cron::Schedule::from_str(&normalized).map_err(|e| {
            bad(diagnose(&fields).unwrap_or_else(|| match crate_message(&e.to_string()) {
                Some(why) => format!("not a valid cron expression: {why}"),
                None => "not a valid cron expression".to_string(),
            }))
        })?;
        let timezone = Tz::from_str(timezone).map_err(|_| CadenceError::Timezone { timezone: timezone.to_string() })?;
        let cadence = Cadence { expression: expression.to_string(), normalized, timezone, schedule };
        if cadence.next_after(Utc::now()).is_none() {
            return Err(bad("it never matches a time to come".to_string()));
        }
        Ok(cadence)
    }

    /// What the expression means that a reader may not expect, one
    /// sentence each, starting with the expression (`"0 9 1 * MON": …`):
    /// both day fields restricted (a time must match both, unlike
    /// crontab), and day-of-week numbers in the 6- and 7-field forms
    /// (Sunday is 1 there, 0 in the 5-field form).
    pub(crate) fn warnings(&self) -> Vec<String> {
        let fields: Vec<&str> = self.expression.split_whitespace().collect();
        let (dom, dow) = match fields.as_slice() {
            [_, _, dom, _, dow] => (*dom, *dow),
            [_, _, _, dom, _, dow] | [_, _, _, dom, _, dow, _] => (*dom, *dow),
            _ => return Vec::new(),
        };
        let expression = &self.expression;
        let mut warnings = Vec::new();
        let restricted = |field: &str| !(field.starts_with('*') || field == "?");
        if restricted(dom) && restricted(dow) {
            warnings.push(format!(
                "{expression:?}: day of month {dom:?} and day of week {dow:?} are both restricted, so a time must match both (unlike crontab, which runs when either matches); to run on either, use two jobs"
            ));
        }
        if fields.len() > 5 && has_day_number(dow) {
            warnings.push(format!(
                "{expression:?}: in the 6- and 7-field forms days of the week are numbered 1 (Sunday) to 7 (Saturday), not 0 (Sunday) to 6 as in the 5-field form: day of week {dow:?} means {}; day names (MON-FRI) read the same in every form",
                day_names(dow)
            ));
        }
        warnings
    }

    /// The first time strictly after `after` that the schedule matches,
    /// in UTC; `None` when there is none (a year in the past).
    pub(crate) fn next_after(&self, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let local = after.with_timezone(&self.timezone);
        self.schedule.after(&local).next().map(|t| t.with_timezone(&Utc))
    }
}

/// The shorthands the `cron` crate accepts.
const SHORTHANDS: [&str; 5] = ["@yearly", "@monthly", "@weekly", "@daily", "@hourly"];

/// Why a `@…` word that is not one of [`SHORTHANDS`] is refused.
fn unknown_shorthand(word: &str) -> String {
    if word.eq_ignore_ascii_case("@reboot") {
        "@reboot is not supported: jobs run at times of day, not when palisade starts (to run every job at start-up, run `palisade schedule --once` then)".to_string()
    } else {
        format!("{word} is not a shorthand (supported: {})", SHORTHANDS.join(", "))
    }
}

/// What one field of an expression may hold.
struct FieldSpec {
    /// Its name in messages: `minute`, `day of month`…
    name: &'static str,
    /// The smallest and largest number it takes.
    low: u32,
    high: u32,
    /// The names it takes (months, days), with their numbers…
    names: &'static [(&'static str, u32)],
    /// … plus this (day names are numbered from Sunday 0, the `cron`
    /// crate's days from Sunday 1).
    name_offset: u32,
    /// Said after a number out of range.
    note: &'static str,
}

impl FieldSpec {
    const fn new(name: &'static str, low: u32, high: u32) -> FieldSpec {
        FieldSpec { name, low, high, names: &[], name_offset: 0, note: "" }
    }
}

const SECOND: FieldSpec = FieldSpec::new("second", 0, 59);
const MINUTE: FieldSpec = FieldSpec::new("minute", 0, 59);
const HOUR: FieldSpec = FieldSpec::new("hour", 0, 23);
const DAY_OF_MONTH: FieldSpec = FieldSpec::new("day of month", 1, 31);
const MONTH: FieldSpec = FieldSpec { names: &MONTH_NAMES, ..FieldSpec::new("month", 1, 12) };
/// The `cron` crate's numbering, 1 (Sunday) to 7.
const DAY_OF_WEEK: FieldSpec = FieldSpec {
    names: &DAY_NAMES,
    name_offset: 1,
    note: " (1 is Sunday in the 6- and 7-field forms)",
    ..FieldSpec::new("day of week", 1, 7)
};
const YEAR: FieldSpec = FieldSpec::new("year", 1970, 2100);

/// The first field of `fields` (an expression as written, 5, 6 or 7
/// fields) that holds a number out of its range, a backwards range, a bad
/// step or an unknown name: `minute 61 is out of range 0-59`. `None` when
/// every field looks right (the expression is wrong in another way).
fn diagnose(fields: &[&str]) -> Option<String> {
    let specs: &[FieldSpec] = match fields.len() {
        // The day of week of the 5-field form was checked by its translation.
        5 => &[MINUTE, HOUR, DAY_OF_MONTH, MONTH],
        _ => &[SECOND, MINUTE, HOUR, DAY_OF_MONTH, MONTH, DAY_OF_WEEK, YEAR],
    };
    fields.iter().zip(specs).find_map(|(field, spec)| check_field(field, spec).err())
}

/// One field: a list of `*`, `?`, `N`, `N-M` or names, each with an
/// optional `/STEP`.
fn check_field(field: &str, spec: &FieldSpec) -> Result<(), String> {
    let name = spec.name;
    for item in field.split(',') {
        if item.is_empty() {
            return Err(format!("{name} field {field:?} has an empty list item"));
        }
        let (base, step) = match item.split_once('/') {
            Some((base, step)) => (base, Some(step)),
            None => (item, None),
        };
        if let Some(step) = step {
            let n: u32 = step.parse().map_err(|_| format!("{name} {item:?}: the step {step:?} is not a number"))?;
            if n == 0 || n > spec.high {
                return Err(format!("{name} step {n} is out of range 1-{}", spec.high));
            }
        }
        if base == "*" || base == "?" {
            continue;
        }
        if step.is_some() && !base.contains('-') && base.parse::<u32>().is_err() {
            return Err(format!("{name} {item:?}: a step goes after `*`, a number or a range"));
        }
        match base.split_once('-') {
            Some((a, b)) => {
                let (a, b) = (value(a, spec)?, value(b, spec)?);
                if a > b {
                    return Err(format!("{name} range {base} runs backwards"));
                }
            }
            None => {
                value(base, spec)?;
            }
        }
    }
    Ok(())
}

/// One value of a field: a number in its range, or one of its names.
fn value(text: &str, spec: &FieldSpec) -> Result<u32, String> {
    let (name, low, high) = (spec.name, spec.low, spec.high);
    if let Ok(n) = text.parse::<u32>() {
        return if (low..=high).contains(&n) {
            Ok(n)
        } else {
            Err(format!("{name} {n} is out of range {low}-{high}{}", spec.note))
        };
    }
    let lower = text.to_ascii_lowercase();
    match spec.names.iter().find(|(n, _)| *n == lower) {
        Some(&(_, n)) => Ok(n + spec.name_offset),
        None if spec.names.is_empty() => Err(format!("{name} {text:?} is not a number ({low}-{high})")),
        None => Err(format!("{name} {text:?} is neither a number ({low}-{high}) nor a {name} name")),
    }
}

/// The explanation in a `cron` crate error, without the expression and
/// caret it shows first; `None` when it has none.
fn crate_message(error: &str) -> Option<String> {
    let lines: Vec<&str> = error.lines().collect();
    let caret = lines.iter().position(|l| l.trim() == "^")?;
    let rest = lines[caret + 1..].join(" ");
    let rest = rest.trim();
    (!rest.is_empty()).then(|| rest.to_string())
}

/// Whether a day-of-week field names a day by number (steps aside).
fn has_day_number(field: &str) -> bool {
    field.split(',').any(|item| {
        let base = item.split_once('/').map_or(item, |(base, _)| base);
        base.split('-').any(|day| day.parse::<u32>().is_ok())
    })
}

/// A 6- or 7-field day-of-week field (1 Sunday … 7 Saturday) with its day
/// numbers written as names: `1-5` → `SUN-THU`.
fn day_names(field: &str) -> String {
    let name = |day: &str| match day.parse::<usize>() {
        Ok(n @ 1..=7) => DAY_ABBREVIATIONS[n - 1].to_string(),
        _ => day.to_string(),
    };
    let item = |item: &str| {
        let (base, step) = match item.split_once('/') {
            Some((base, step)) => (base, Some(step)),
            None => (item, None),
        };
        let base: Vec<String> = base.split('-').map(name).collect();
        match step {
            Some(step) => format!("{}/{step}", base.join("-")),
            None => base.join("-"),
        }
    };
    field.split(',').map(item).collect::<Vec<_>>().join(",")
}

/// The days of the week from Sunday, as the 6-field form numbers them
/// from 1.
const DAY_ABBREVIATIONS: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

/// A standard crontab day-of-week field (0 or 7 Sunday, 1 Monday, …, 6
/// Saturday; names; lists, ranges and steps) as the `cron` crate's list of
/// days (1 Sunday … 7 Saturday). `*` and `?` stay as they are.
fn standard_day_of_week(field: &str) -> Result<String, String> {
    if field == "*" || field == "?" {
        return Ok(field.to_string());
    }
    let mut days = BTreeSet::new();
    for item in field.split(',') {
        let (range, step) = match item.split_once('/') {
            Some((range, step)) => {
                let step: u32 = step.parse().map_err(|_| format!("day of week {item:?}: bad step {step:?}"))?;
                if step == 0 {
                    return Err(format!("day of week {item:?}: the step is 0"));
                }
                (range, step)
            }
            None => (item, 1),
        };
        let (low, high) = if range == "*" {
            (0, 6)
        } else if let Some((a, b)) = range.split_once('-') {
            (day(a)?, day(b)?)
        } else {
            let d = day(range)?;
            // `N/S` runs from N to the end of the week.
            (d, if item.contains('/') { 6 } else { d })
        };
        if low > high {
            return Err(format!("day of week {item:?}: the range runs backwards"));
        }
        let step = usize::try_from(step).unwrap_or(usize::MAX);
        days.extend((low..=high).step_by(step).map(|d| d % 7));
    }
    Ok(days.iter().map(|d| (d + 1).to_string()).collect::<Vec<_>>().join(","))
}

/// One standard day of week: 0 to 7 (0 and 7 Sunday), or a name (`sun`,
/// `Monday`, …).
fn day(text: &str) -> Result<u32, String> {
    if let Ok(n) = text.parse::<u32>() {
        return if n <= 7 {
            Ok(n)
        } else {
            Err(format!("day of week {n} is out of range (0 to 7, 0 and 7 are Sunday)"))
        };
    }
    let lower = text.to_ascii_lowercase();
    DAY_NAMES
        .iter()
        .find(|(name, _)| *name == lower)
        .map(|&(_, n)| n)
        .ok_or_else(|| format!("{text:?} is not a day of the week (0-7 or sun-sat)"))
}

/// Month names, short and long, and their numbers.
const MONTH_NAMES: [(&str, u32); 23] = [
    ("jan", 1),
    ("january", 1),
    ("feb", 2),
    ("february", 2),
    ("mar", 3),
    ("march", 3),
    ("apr", 4),
    ("april", 4),
    ("may", 5),
    ("jun", 6),
    ("june", 6),
    ("jul", 7),
    ("july", 7),
    ("aug", 8),
    ("august", 8),
    ("sep", 9),
    ("september", 9),
    ("oct", 10),
    ("october", 10),
    ("nov", 11),
    ("november", 11),
    ("dec", 12),
    ("december", 12),
];

/// Day names, short and long, and their standard numbers (Sunday 0).
const DAY_NAMES: [(&str, u32); 16] = [
    ("sun", 0),
    ("sunday", 0),
    ("mon", 1),
    ("monday", 1),
    ("tue", 2),
    ("tues", 2),
    ("tuesday", 2),
    ("wed", 3),
    ("wednesday", 3),
    ("thu", 4),
    ("thurs", 4),
    ("thursday", 4),
    ("fri", 5),
    ("friday", 5),
    ("sat", 6),
    ("saturday", 6),
];
