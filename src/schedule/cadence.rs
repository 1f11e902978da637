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
//! field (Vixie cron runs when either matches).

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
#[derive(Debug)]
pub(crate) struct CadenceError(String);

impl fmt::Display for CadenceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for CadenceError {}

impl Cadence {
    /// Parse `expression` (see the module documentation for the forms)
    /// read in `timezone`, an IANA name such as `Europe/Paris` or `UTC`.
    pub(crate) fn parse(expression: &str, timezone: &str) -> Result<Cadence, CadenceError> {
        let bad = |why: String| CadenceError(format!("schedule: {expression:?}: {why}"));
        let fields: Vec<&str> = expression.split_whitespace().collect();
        let normalized = match fields.as_slice() {
            [one] if one.starts_with('@') => (*one).to_string(),
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
        let schedule = cron::Schedule::from_str(&normalized).map_err(|e| bad(e.to_string()))?;
        let timezone = Tz::from_str(timezone).map_err(|_| {
            CadenceError(format!("timezone: {timezone:?} is not an IANA timezone name (such as UTC or Europe/Paris)"))
        })?;
        let cadence = Cadence { expression: expression.to_string(), normalized, timezone, schedule };
        if cadence.next_after(Utc::now()).is_none() {
            return Err(bad("it never matches a time to come".to_string()));
        }
        Ok(cadence)
    }

    /// The first time strictly after `after` that the schedule matches,
    /// in UTC; `None` when there is none (a year in the past).
    pub(crate) fn next_after(&self, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let local = after.with_timezone(&self.timezone);
        self.schedule.after(&local).next().map(|t| t.with_timezone(&Utc))
    }
}

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
