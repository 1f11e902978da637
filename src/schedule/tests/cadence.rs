//! Cron in a timezone: the 5- and 6-field forms, and both DST changes of
//! 2026 in Europe/Berlin (29 March 02:00 → 03:00, 25 October 03:00 →
//! 02:00) and America/New_York (8 March 02:00 → 03:00, 1 November 02:00 →
//! 01:00).

use super::utc;
use crate::schedule::CadenceError;
use crate::schedule::cadence::Cadence;

/// The `n` times `expression` in `timezone` matches after `from`, as local
/// RFC 3339 times (with their offset).
fn ticks(expression: &str, timezone: &str, from: &str, n: usize) -> Vec<String> {
    let cadence = Cadence::parse(expression, timezone).expect("a valid cadence");
    let mut t = utc(from);
    let mut out = Vec::new();
    for _ in 0..n {
        t = cadence.next_after(t).expect("a next time");
        out.push(t.with_timezone(&cadence.timezone).to_rfc3339());
    }
    out
}

#[test]
fn hourly_in_berlin_goes_from_one_to_three_when_spring_skips_two() {
    let ticks = ticks("0 * * * *", "Europe/Berlin", "2026-03-29T00:30:00+01:00", 3);
    // 00:00Z, 01:00Z, 02:00Z: one run per real hour, 02:00 local never comes.
    assert_eq!(ticks, ["2026-03-29T01:00:00+01:00", "2026-03-29T03:00:00+02:00", "2026-03-29T04:00:00+02:00"]);
}

#[test]
fn hourly_in_berlin_runs_the_repeated_hour_once_in_autumn() {
    let ticks = ticks("0 * * * *", "Europe/Berlin", "2026-10-25T01:30:00+02:00", 3);
    // 02:00 local comes twice (00:00Z and 01:00Z); it runs at the first
    // only, so no run at 01:00Z: each local time runs once.
    assert_eq!(ticks, ["2026-10-25T02:00:00+02:00", "2026-10-25T03:00:00+01:00", "2026-10-25T04:00:00+01:00"]);
}

#[test]
fn a_daily_time_in_the_skipped_hour_does_not_run_that_day() {
    // 02:30 does not exist in Berlin on 29 March 2026: no run that day
    // (Vixie cron and cronie would run it at 03:00).
    let berlin = ticks("30 2 * * *", "Europe/Berlin", "2026-03-28T12:00:00+01:00", 2);
    assert_eq!(berlin, ["2026-03-30T02:30:00+02:00", "2026-03-31T02:30:00+02:00"]);
    // The same in New York on 8 March, in the 6-field form.
    let new_york = ticks("0 30 2 * * *", "America/New_York", "2026-03-07T12:00:00-05:00", 2);
    assert_eq!(new_york, ["2026-03-09T02:30:00-04:00", "2026-03-10T02:30:00-04:00"]);
}

#[test]
fn a_daily_time_in_the_repeated_hour_runs_once_at_its_first_occurrence() {
    let berlin = ticks("30 2 * * *", "Europe/Berlin", "2026-10-24T12:00:00+02:00", 2);
    assert_eq!(berlin, ["2026-10-25T02:30:00+02:00", "2026-10-26T02:30:00+01:00"]);
    let new_york = ticks("0 30 1 * * *", "America/New_York", "2026-10-31T12:00:00-04:00", 2);
    assert_eq!(new_york, ["2026-11-01T01:30:00-04:00", "2026-11-02T01:30:00-05:00"]);
}

#[test]
fn every_half_hour_in_new_york_across_both_changes() {
    // Autumn: 01:00 and 01:30 EDT run; their EST repeats do not.
    let autumn = ticks("*/30 * * * *", "America/New_York", "2026-11-01T00:50:00-04:00", 4);
    assert_eq!(
        autumn,
        [
            "2026-11-01T01:00:00-04:00",
            "2026-11-01T01:30:00-04:00",
            "2026-11-01T02:00:00-05:00",
            "2026-11-01T02:30:00-05:00"
        ]
    );
    // Spring, 6 fields (seconds first): 02:00 and 02:30 do not exist.
    let spring = ticks("0 */30 1-3 * * *", "America/New_York", "2026-03-08T00:50:00-05:00", 5);
    assert_eq!(
        spring,
        [
            "2026-03-08T01:00:00-05:00",
            "2026-03-08T01:30:00-05:00",
            "2026-03-08T03:00:00-04:00",
            "2026-03-08T03:30:00-04:00",
            "2026-03-09T01:00:00-04:00",
        ]
    );
}

#[test]
fn next_after_is_strictly_after() {
    let cadence = Cadence::parse("*/20 * * * * *", "UTC").expect("a valid cadence");
    assert_eq!(cadence.next_after(utc("2026-06-01T10:00:00Z")), Some(utc("2026-06-01T10:00:20Z")));
    assert_eq!(cadence.next_after(utc("2026-06-01T10:00:19.999Z")), Some(utc("2026-06-01T10:00:20Z")));
}

#[test]
fn five_fields_run_at_second_zero_with_crontab_day_numbers() {
    let normalized = |expression: &str| Cadence::parse(expression, "UTC").expect("a valid cadence").normalized;
    assert_eq!(normalized("0 3 * * 1-5"), "0 0 3 * * 2,3,4,5,6");
    // 0 and 7 are Sunday, the cron crate's 1.
    assert_eq!(normalized("0 3 * * 0"), "0 0 3 * * 1");
    assert_eq!(normalized("0 3 * * 7"), "0 0 3 * * 1");
    assert_eq!(normalized("0 3 * * 5-7"), "0 0 3 * * 1,6,7");
    assert_eq!(normalized("0 3 * * */2"), "0 0 3 * * 1,3,5,7");
    assert_eq!(normalized("0 3 * * sat,SUN"), "0 0 3 * * 1,7");
    assert_eq!(normalized("*/5 * * * *"), "0 */5 * * * *");
    // 6 and 7 fields and shorthands go to the crate as written.
    assert_eq!(normalized("0 0 3 * * 1"), "0 0 3 * * 1");
    assert_eq!(normalized("0 0 3 1 1 * 2030"), "0 0 3 1 1 * 2030");
    assert_eq!(normalized("@daily"), "@daily");
    // Sunday 0 in five fields and Sunday 1 in six are the same day.
    let sunday = ticks("0 3 * * 0", "Europe/Berlin", "2026-06-01T00:00:00Z", 1);
    assert_eq!(sunday, ["2026-06-07T03:00:00+02:00"]);
    assert_eq!(ticks("0 0 3 * * 1", "Europe/Berlin", "2026-06-01T00:00:00Z", 1), sunday);
}

#[test]
fn errors_name_the_key_and_the_field() {
    let error = |expression: &str, timezone: &str| Cadence::parse(expression, timezone).expect_err("refused");
    let e = error("61 * * * *", "UTC");
    assert_eq!(e.key(), "schedule");
    assert_eq!(e.to_string(), "schedule: \"61 * * * *\": minute 61 is out of range 0-59");
    let e = error("0 0 3 * * 0", "UTC");
    assert_eq!(
        e.detail(),
        "\"0 0 3 * * 0\": day of week 0 is out of range 1-7 (1 is Sunday in the 6- and 7-field forms)"
    );
    let e = error("* * *", "UTC");
    assert!(e.detail().starts_with("\"* * *\": 3 fields; expected 5"), "{e}");
    let e = error("0 3 * * 8", "UTC");
    assert_eq!(e.detail(), "\"0 3 * * 8\": day of week 8 is out of range (0 to 7, 0 and 7 are Sunday)");
    let e = error("0 0 0 1 1 * 2020", "UTC");
    assert_eq!(e.detail(), "\"0 0 0 1 1 * 2020\": it never matches a time to come");
    let e = error("@reboot", "UTC");
    assert!(e.detail().starts_with("\"@reboot\": @reboot is not supported"), "{e}");
    let e = error("@daily", "Europe/Pariss");
    assert_eq!(e, CadenceError::Timezone { timezone: "Europe/Pariss".to_string() });
    assert_eq!(e.key(), "timezone");
    assert_eq!(e.to_string(), "timezone: \"Europe/Pariss\" is not an IANA timezone name (such as UTC or Europe/Paris)");
}

/// The warnings of `expression` (in UTC).
fn warnings(expression: &str) -> Vec<String> {
    Cadence::parse(expression, "UTC").expect("a valid cadence").warnings()
}

#[test]
fn both_day_fields_restricted_must_both_match_and_warn() {
    // Crontab would run on every 1st and every Monday; here only on a 1st
    // that is a Monday.
    let both = ticks("0 9 1 * MON", "UTC", "2026-01-01T00:00:00Z", 2);
    assert_eq!(both, ["2026-06-01T09:00:00+00:00", "2027-02-01T09:00:00+00:00"]);
    assert_eq!(
        warnings("0 9 1 * MON"),
        [
            "\"0 9 1 * MON\": day of month \"1\" and day of week \"MON\" are both restricted, so a time must match both (unlike crontab, which runs when either matches); to run on either, use two jobs"
        ]
    );
    // The same in six fields, with a name for the day: one warning.
    assert_eq!(warnings("0 0 9 1-7 * FRI").len(), 1);
    assert!(warnings("0 0 9 1-7 * FRI")[0].contains("day of month \"1-7\" and day of week \"FRI\""));
}

#[test]
fn six_field_day_numbers_warn_with_the_days_they_mean() {
    assert_eq!(
        warnings("0 0 9 * * 2-6"),
        [
            "\"0 0 9 * * 2-6\": in the 6- and 7-field forms days of the week are numbered 1 (Sunday) to 7 (Saturday), not 0 (Sunday) to 6 as in the 5-field form: day of week \"2-6\" means MON-FRI; day names (MON-FRI) read the same in every form"
        ]
    );
    let w = warnings("0 30 4 * * 1,7 2030");
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(w[0].contains("day of week \"1,7\" means SUN,SAT"), "{w:?}");
    let w = warnings("0 0 9 * * 1-5/2");
    assert!(w[0].contains("means SUN-THU/2"), "{w:?}");
    // Both warnings at once.
    assert_eq!(warnings("0 0 9 15 * 2").len(), 2);
}

#[test]
fn lines_that_mean_the_same_as_in_crontab_do_not_warn() {
    for expression in [
        "0 9 * * 1-5",       // five fields: crontab's numbering
        "0 9 1 * *",         // one day field restricted
        "0 9 * * MON",       // the other
        "0 9 */2 * MON",     // crontab also ANDs when a day field begins with `*`
        "0 9 1 * */2",       // the same
        "0 0 9 * * MON-FRI", // six fields with day names
        "0 0 9 * * *",       // six fields, every day
        "0 0 9 1 * ?",       // `?` is no restriction
        "*/10 * * * * */2",  // a step is not a day number
        "@weekly",
        "@daily",
    ] {
        assert_eq!(warnings(expression), Vec::<String>::new(), "{expression}");
    }
}
