//! Bytes to text: UTF-8 (with or without a byte-order mark) and UTF-16 LE/BE
//! with a byte-order mark, as a Windows shell writes `terraform show -json >
//! plan.json`. UTF-16 without a byte-order mark is recognised by its zero
//! bytes when the text starts with an ASCII character (every JSON document
//! does).

use encoding_rs::{DecoderResult, Encoding, UTF_16BE, UTF_16LE};

use crate::error::{InputError, InputErrorKind};

/// Decodes `bytes` of the file `source` to text, dropping any byte-order mark.
///
/// Errors: [`InputErrorKind::Encoding`] with the byte offset of the first
/// malformed sequence.
pub(crate) fn decode(source: &str, bytes: &[u8]) -> Result<String, InputError> {
    if let Some((encoding, bom_len)) = Encoding::for_bom(bytes) {
        let body = bytes.get(bom_len..).unwrap_or_default();
        return decode_with(source, encoding, body, bom_len);
    }
    if let Some(encoding) = sniff_utf16(bytes) {
        return decode_with(source, encoding, bytes, 0);
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => Ok(text.to_string()),
        Err(e) => Err(encoding_error(source, e.valid_up_to(), "UTF-8")),
    }
}

/// UTF-16 without a byte-order mark: an ASCII first character has a zero byte
/// beside it.
fn sniff_utf16(bytes: &[u8]) -> Option<&'static Encoding> {
    match bytes {
        [a, 0, ..] if *a != 0 && a.is_ascii() => Some(UTF_16LE),
        [0, b, ..] if *b != 0 && b.is_ascii() => Some(UTF_16BE),
        _ => None,
    }
}

fn encoding_error(source: &str, offset: usize, what: &str) -> InputError {
    InputError::new(source, None, InputErrorKind::Encoding { offset, detail: what.to_string() })
}

/// Decodes `body` (the bytes after a `skipped`-byte byte-order mark) without
/// replacement, reporting the offset of the first malformed sequence.
fn decode_with(source: &str, encoding: &'static Encoding, body: &[u8], skipped: usize) -> Result<String, InputError> {
    let name = encoding.name();
    let mut decoder = encoding.new_decoder_without_bom_handling();
    let capacity = decoder
        .max_utf8_buffer_length_without_replacement(body.len())
        .ok_or_else(|| encoding_error(source, skipped, name))?;
    let mut out = String::with_capacity(capacity);
    let (result, read) = decoder.decode_to_string_without_replacement(body, &mut out, true);
    match result {
        DecoderResult::InputEmpty => Ok(out),
        DecoderResult::Malformed(bad, after) => {
            let end = read.saturating_sub(usize::from(after));
            let start = end.saturating_sub(usize::from(bad));
            Err(encoding_error(source, skipped + start, name))
        }
        DecoderResult::OutputFull => Err(encoding_error(source, skipped + read, name)),
    }
}
