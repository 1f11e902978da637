//! Sending the tagging calls of an apply: one at a time, at the configured
//! rate, and no new call once the caller asks the run to stop (a signal):
//! the call in flight completes, the rest is marked as not sent. The rate
//! limit and the stop check ([`Turns`]) are shared with the action
//! calls (`super::actions`).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Duration;

use aws_sdk_resourcegroupstagging as tagging;

use super::batch::Batch;
use super::{CallDone, Interruption, Progress, Remediator, calls};

/// How often a wait for the rate limit looks whether the run must stop.
const STOP_POLL: Duration = Duration::from_millis(50);

/// What [`Remediator::send_all`] did.
pub(crate) struct Sent {
    /// Calls sent.
    pub calls: usize,
    /// Why the run stopped before its last call, and how many changes were
    /// then left (wholly or partly) unsent.
    pub interrupted: Option<Interruption>,
}

impl Remediator {
    /// Send `calls` in order, one at a time, at the configured rate; the
    /// failures go to `errors` by ARN. An ARN that already failed is left
    /// out of later calls.
    ///
    /// `turns` asks its `stop` before each call (and every [`STOP_POLL`]
    /// while waiting for the rate limit); once it answers a reason (`SIGTERM`),
    /// nothing more is sent and each ARN of a call not sent gets an error
    /// in `errors` saying so (and whether part of its change was sent).
    pub(crate) async fn send_all(
        &self,
        calls: &[Batch],
        errors: &mut BTreeMap<String, String>,
        turns: &mut Turns<'_>,
        progress: &mut dyn FnMut(Progress<'_>),
    ) -> Sent {
        let mut clients: HashMap<&str, tagging::Client> = HashMap::new();
        let mut sent = 0;
        // ARNs some call of which was sent.
        let mut touched: BTreeSet<String> = BTreeSet::new();
        let total = calls.len();
        for (index, batch) in calls.iter().enumerate() {
            let arns: Vec<String> = batch.arns.iter().filter(|a| !errors.contains_key(*a)).cloned().collect();
            if arns.is_empty() {
                continue;
            }
            if let Some(reason) = turns.next().await {
                let unsent = mark_unsent(&calls[index..], &touched, errors, &reason);
                return Sent { calls: sent, interrupted: Some(Interruption { reason, unsent }) };
            }
            let call = Batch { arns, ..batch.clone() };
            let client = clients.entry(batch.region.as_str()).or_insert_with(|| self.client(&batch.region));
            let failures = match calls::send(client, &call).await {
                Ok(failures) => failures,
                Err(whole) => call.arns.iter().map(|a| (a.clone(), whole.clone())).collect(),
            };
            sent += 1;
            touched.extend(call.arns.iter().cloned());
            let failed = failures.len();
            errors.extend(failures);
            progress(Progress::Tags(CallDone { batch: &call, failed, done: sent, total }));
        }
        Sent { calls: sent, interrupted: None }
    }
}

/// When the next write call of an apply may go: the rate limit
/// (`calls_per_second`), shared by the tag calls and the action calls, and
/// the caller's `stop`.
pub(crate) struct Turns<'a> {
    ticker: Option<tokio::time::Interval>,
    stop: &'a dyn Fn() -> Option<String>,
}

impl<'a> Turns<'a> {
    /// At most `calls_per_second` (`None`: no limit). Make it within the
    /// runtime.
    pub(crate) fn new(calls_per_second: Option<f64>, stop: &'a dyn Fn() -> Option<String>) -> Turns<'a> {
        let ticker = calls_per_second.map(|n| {
            let mut t = tokio::time::interval(Duration::from_secs_f64(1.0 / n));
            t.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            t
        });
        Turns { ticker, stop }
    }

    /// Before a write call: `Some(reason)` when the run must stop (asked
    /// first, then every [`STOP_POLL`] while waiting for the rate limit's
    /// next tick); `None`: send it now.
    pub(crate) async fn next(&mut self) -> Option<String> {
        let reason = (self.stop)();
        match (reason, self.ticker.as_mut()) {
            (None, Some(ticker)) => wait_for_tick(ticker, self.stop).await,
            (reason, _) => reason,
        }
    }
}

/// Wait for the rate limit's next tick; `Some(reason)` as soon as `stop`
/// answers one instead.
async fn wait_for_tick(ticker: &mut tokio::time::Interval, stop: &dyn Fn() -> Option<String>) -> Option<String> {
    loop {
        tokio::select! {
            // `Interval::tick` is cancel-safe: a tick lost to the poll is not consumed.
            _ = ticker.tick() => return stop(),
            () = tokio::time::sleep(STOP_POLL) => {
                if let Some(reason) = stop() {
                    return Some(reason);
                }
            }
        }
    }
}

/// Give each ARN of `unsent` calls without an error yet the error of an
/// interrupted run; the number of such ARNs (one change each).
fn mark_unsent(
    unsent: &[Batch],
    touched: &BTreeSet<String>,
    errors: &mut BTreeMap<String, String>,
    reason: &str,
) -> usize {
    let mut count = 0;
    for arn in unsent.iter().flat_map(|b| &b.arns) {
        if errors.contains_key(arn) {
            continue;
        }
        let error = if touched.contains(arn) {
            format!("interrupted ({reason}) after part of this change was sent; a re-run completes it")
        } else {
            format!("interrupted before this change was sent ({reason}); a re-run completes it")
        };
        errors.insert(arn.clone(), error);
        count += 1;
    }
    count
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::remediate::TagAction;

    fn batch(action: TagAction, arns: &[&str]) -> Batch {
        Batch { region: "eu-west-1".into(), action, arns: arns.iter().map(|a| a.to_string()).collect() }
    }

    #[test]
    fn unsent_changes_say_whether_part_of_them_was_sent() {
        let untag = batch(TagAction::Untag(BTreeSet::from(["tmp".to_string()])), &["a", "b"]);
        let tag = batch(TagAction::Tag(BTreeMap::from([("owner".into(), "x".into())])), &["c", "d"]);
        let touched = BTreeSet::from(["a".to_string()]);
        let mut errors = BTreeMap::from([("d".to_string(), "TagResources failed".to_string())]);
        let count = mark_unsent(&[untag, tag], &touched, &mut errors, "SIGTERM");
        assert_eq!(count, 3, "d had failed already");
        assert_eq!(errors["a"], "interrupted (SIGTERM) after part of this change was sent; a re-run completes it");
        assert_eq!(errors["b"], "interrupted before this change was sent (SIGTERM); a re-run completes it");
        assert_eq!(errors["c"], errors["b"]);
        assert_eq!(errors["d"], "TagResources failed");
    }
}
