//! Delivering a run's events: one JSON POST each (`ureq`), retried with
//! exponential backoff and jitter (`backon`) on connection errors,
//! time-outs, and answers 408, 429 and 5xx. Any 2xx answer is a delivery;
//! another answer (a 4xx) is final. Each outcome is logged; a failed
//! delivery never changes the run's result.
//!
//! Delivery is not part of a run: a published run puts its events in its
//! job's [`Outbox`], and one task per job POSTs them, in order, while the
//! next runs go on. At shutdown, events not yet delivered get the grace
//! period; then they are dropped, each logged.

use std::time::Duration;

use backon::{ExponentialBuilder, Retryable};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use super::Stop;
use super::config::WebhookConfig;
use super::record::{EventKind, RunRecord};
use super::runner::abandoned;

/// Events a job may have waiting for delivery; past this, new events are
/// dropped (and logged) until the webhook catches up.
const OUTBOX_CAPACITY: usize = 256;

/// One event waiting for delivery.
struct Envelope {
    run_id: String,
    kind: EventKind,
    body: Vec<u8>,
}

/// A job's queue of events to POST, in order, on their own task. Cloned
/// into each run; the task ends once every clone is dropped and the queue
/// is empty, or at [`Stop::Abandon`].
#[derive(Clone)]
pub(crate) struct Outbox {
    job: String,
    // `None` when the job has no webhook.
    tx: Option<mpsc::Sender<Envelope>>,
}

impl Outbox {
    /// The outbox of job `job` and, when it has a webhook, the task that
    /// delivers its events until the outbox is dropped (or `stop` says
    /// [`Stop::Abandon`]).
    pub(crate) fn open(
        job: &str,
        hook: Option<&WebhookConfig>,
        stop: watch::Receiver<Stop>,
    ) -> (Outbox, Option<JoinHandle<()>>) {
        let Some(hook) = hook else { return (Outbox { job: job.to_string(), tx: None }, None) };
        let (tx, rx) = mpsc::channel(OUTBOX_CAPACITY);
        let task = tokio::spawn(drain(hook.clone(), job.to_string(), rx, stop));
        (Outbox { job: job.to_string(), tx: Some(tx) }, Some(task))
    }

    /// Queue the events of a published run, in order.
    pub(crate) fn post(&self, record: &RunRecord) {
        let Some(tx) = &self.tx else { return };
        let job = self.job.as_str();
        for &kind in &record.events {
            let body = match serde_json::to_vec(&record.event(kind)) {
                Ok(body) => body,
                Err(e) => {
                    tracing::error!(job, run_id = %record.run_id, event = kind.as_str(), error = %e, "cannot serialize an event");
                    continue;
                }
            };
            let envelope = Envelope { run_id: record.run_id.clone(), kind, body };
            if let Err(e) = tx.try_send(envelope) {
                let why = match e {
                    mpsc::error::TrySendError::Full(_) => "the webhook is behind: too many events wait for delivery",
                    mpsc::error::TrySendError::Closed(_) => "deliveries have stopped",
                };
                tracing::error!(job, run_id = %record.run_id, event = kind.as_str(), reason = why, "webhook event dropped");
            }
        }
    }
}

/// The delivery task: POST each event in turn until the outbox is closed
/// and empty, or deliveries are abandoned at shutdown.
async fn drain(hook: WebhookConfig, job: String, mut rx: mpsc::Receiver<Envelope>, mut stop: watch::Receiver<Stop>) {
    let job = job.as_str();
    loop {
        let next = tokio::select! {
            biased;
            () = abandoned(&mut stop) => None,
            next = rx.recv() => next,
        };
        let Some(Envelope { run_id, kind, body }) = next else { break };
        tokio::select! {
            () = deliver(&hook, job, &run_id, kind, body) => {}
            () = abandoned(&mut stop) => {
                tracing::warn!(job, run_id, event = kind.as_str(), url = %hook.url, "webhook delivery abandoned at shutdown");
                break;
            }
        }
    }
    rx.close();
    while let Ok(Envelope { run_id, kind, .. }) = rx.try_recv() {
        tracing::warn!(job, run_id, event = kind.as_str(), url = %hook.url, "webhook delivery abandoned at shutdown");
    }
}

/// Why one attempt failed.
#[derive(Debug)]
enum AttemptError {
    /// Worth another attempt: the connection, a time-out, 408, 429, 5xx.
    Transient(String),
    /// Not worth another attempt: another 4xx, a bad URL.
    Final(String),
}

impl AttemptError {
    fn message(&self) -> &str {
        match self {
            AttemptError::Transient(m) | AttemptError::Final(m) => m,
        }
    }
}

/// POST `body` (the JSON of event `kind` of run `run_id` of `job`) to the
/// webhook, retrying as the module says; logs the outcome.
async fn deliver(hook: &WebhookConfig, job: &str, run_id: &str, kind: EventKind, body: Vec<u8>) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(hook.timeout))
        .http_status_as_error(false)
        .user_agent(concat!("palisade/", env!("CARGO_PKG_VERSION")))
        .build()
        .into();
    let mut attempts = 0u32;
    let attempt = || {
        attempts += 1;
        let agent = agent.clone();
        let url = hook.url.clone();
        let body = body.clone();
        async move {
            match tokio::task::spawn_blocking(move || post(&agent, &url, &body)).await {
                Ok(result) => result,
                Err(e) => Err(AttemptError::Final(format!("the delivery task failed: {e}"))),
            }
        }
    };
    let backoff = ExponentialBuilder::default()
        .with_min_delay(hook.retry_backoff)
        .with_max_delay(Duration::from_secs(60))
        .with_max_times(usize::try_from(hook.retries).unwrap_or(usize::MAX))
        .with_jitter();
    let result = attempt
        .retry(backoff)
        .when(|e| matches!(e, AttemptError::Transient(_)))
        .notify(|e, wait| {
            tracing::warn!(
                job,
                run_id,
                event = kind.as_str(),
                url = %hook.url,
                error = e.message(),
                retry_in_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                "webhook attempt failed; retrying"
            );
        })
        .await;
    match result {
        Ok(status) => {
            tracing::info!(job, run_id, event = kind.as_str(), url = %hook.url, status, attempts, "webhook delivered")
        }
        Err(e) => tracing::error!(
            job,
            run_id,
            event = kind.as_str(),
            url = %hook.url,
            error = e.message(),
            attempts,
            "webhook delivery failed"
        ),
    }
}

/// One POST; the status of a 2xx answer.
fn post(agent: &ureq::Agent, url: &str, body: &[u8]) -> Result<u16, AttemptError> {
    let response = agent.post(url).header("content-type", "application/json").send(body).map_err(|e| match e {
        ureq::Error::BadUri(_) | ureq::Error::Http(_) | ureq::Error::RedirectFailed => {
            AttemptError::Final(e.to_string())
        }
        other => AttemptError::Transient(other.to_string()),
    })?;
    let status = response.status().as_u16();
    match status {
        200..=299 => Ok(status),
        408 | 429 | 500..=599 => Err(AttemptError::Transient(format!("HTTP {status}"))),
        _ => Err(AttemptError::Final(format!("HTTP {status}"))),
    }
}
