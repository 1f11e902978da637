//! Delivering a run's events: one JSON POST each (`ureq`), retried with
//! exponential backoff and jitter (`backon`) on connection errors,
//! time-outs, and answers 408, 429 and 5xx. Any 2xx answer is a delivery;
//! another answer (a 4xx) is final. Each outcome is logged; a failed
//! delivery never changes the run's result.

use std::time::Duration;

use backon::{ExponentialBuilder, Retryable};

use super::config::WebhookConfig;
use super::record::EventKind;

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
pub(crate) async fn deliver(hook: &WebhookConfig, job: &str, run_id: &str, kind: EventKind, body: Vec<u8>) {
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
