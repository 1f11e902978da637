//! Scan progress on a terminal: one line per scope (account and region)
//! with its pages and resources, drawn on standard error by `indicatif`.
//! Hidden when progress is off or standard error is not a terminal.

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

/// The progress display of one scan.
pub(crate) struct Progress {
    multi: Option<MultiProgress>,
}

/// The line of one scope; does nothing when progress is hidden.
#[derive(Clone)]
pub(crate) struct ScopeBar {
    bar: Option<ProgressBar>,
}

impl Progress {
    /// A display on standard error when `enabled` and it is a terminal.
    pub(crate) fn new(enabled: bool) -> Progress {
        let target = ProgressDrawTarget::stderr();
        let multi = (enabled && !target.is_hidden()).then(|| MultiProgress::with_draw_target(target));
        Progress { multi }
    }

    /// The line of a new scope.
    pub(crate) fn scope(&self, account: &str, region: &str) -> ScopeBar {
        let label = if account.is_empty() { region.to_string() } else { format!("{account} {region}") };
        let bar = self.multi.as_ref().map(move |m| {
            let bar = m.add(ProgressBar::new_spinner());
            bar.set_style(
                ProgressStyle::with_template("{spinner} {prefix}: {msg} [{elapsed}]")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            bar.set_prefix(label);
            bar.set_message("starting");
            bar.enable_steady_tick(std::time::Duration::from_millis(120));
            bar
        });
        ScopeBar { bar }
    }

    /// Removes every line (the final summary is the command's to print).
    pub(crate) fn clear(&self) {
        if let Some(m) = &self.multi {
            let _ = m.clear();
        }
    }
}

impl ScopeBar {
    /// Pages read and resources seen so far.
    pub(crate) fn update(&self, pages: u64, resources: u64) {
        if let Some(bar) = &self.bar {
            bar.set_message(counts(pages, resources));
        }
    }

    /// The scope ended, complete or not.
    pub(crate) fn finish(&self, complete: bool, pages: u64, resources: u64) {
        if let Some(bar) = &self.bar {
            let status = if complete { "complete" } else { "INCOMPLETE" };
            bar.finish_with_message(format!("{status}: {}", counts(pages, resources)));
        }
    }
}

/// `1 page, 2 resources`.
fn counts(pages: u64, resources: u64) -> String {
    let plural = |n: u64, word: &str| if n == 1 { format!("1 {word}") } else { format!("{n} {word}s") };
    format!("{}, {}", plural(pages, "page"), plural(resources, "resource"))
}
