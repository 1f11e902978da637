//! Text made safe for a terminal: every text report (check, drift,
//! remediate) prints names and messages through [`clean`].

use std::borrow::Cow;

/// Whether `c` can forge or hide text on a terminal: control characters, and
/// the invisible formatting ones (zero-width, bidirectional overrides and
/// isolates, byte-order mark).
fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{2069}' | '\u{feff}')
}

/// `s` with the characters that could forge or hide text on a terminal
/// (control characters; zero-width, bidirectional and byte-order-mark
/// formatting characters) escaped as `\n`, `\u{202e}`. Every text report
/// (check, drift) prints names and messages through it.
pub fn clean(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_unsafe) {
        return Cow::Borrowed(s);
    }
    Cow::Owned(s.chars().map(|c| if is_unsafe(c) { c.escape_default().to_string() } else { c.to_string() }).collect())
}
