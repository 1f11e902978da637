//! Caps on what is read from files that are not inputs (packs, configs,
//! exemptions, baselines, `.tf` files), so that an endless file such as
//! `/dev/zero` is an error, not an allocation.

/// The largest policy pack file read, in bytes (1 GiB; an 18 MB Python
/// component is large for a pack).
pub const MAX_PACK_BYTES: u64 = 1 << 30;

/// The largest pack config, exemptions file or `.tf` file read, in bytes
/// (64 MiB).
pub const MAX_SETTINGS_BYTES: u64 = 64 << 20;

/// The largest baseline (an earlier JSON report) read, in bytes (1 GiB).
pub const MAX_BASELINE_BYTES: u64 = 1 << 30;

/// Read at most `max` bytes of `path`: a larger file (or an endless one such
/// as `/dev/zero`) is an `InvalidData` error naming the limit, not an
/// unbounded allocation.
pub fn read_capped(path: &std::path::Path, max: u64) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut bytes = Vec::new();
    std::fs::File::open(path)?.take(max.saturating_add(1)).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > max {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("the file is larger than {} MiB, the most Palisade reads here", max >> 20),
        ));
    }
    Ok(bytes)
}
