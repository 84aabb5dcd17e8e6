//! Reading the files users hand byzlab (experiment files, scripts,
//! witnesses, plan files) with a size limit: a huge file, or a device that
//! never ends (`/dev/zero`), is one clear error, not an unbounded read.

use std::io::Read as _;
use std::path::Path;

/// Largest such file, in bytes.
pub const MAX_FILE_BYTES: u64 = 1 << 20;

/// Reads a text file of at most [`MAX_FILE_BYTES`].
pub fn read_limited(path: impl AsRef<Path>) -> std::io::Result<String> {
    let mut bytes = Vec::new();
    std::fs::File::open(path.as_ref())?
        .take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(std::io::Error::other(format!(
            "larger than {} KiB, too large for a byzlab input file",
            MAX_FILE_BYTES >> 10
        )));
    }
    String::from_utf8(bytes).map_err(|_| std::io::Error::other("not UTF-8 text"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn endless_and_huge_files_are_refused() {
        let err = super::read_limited("/dev/zero").unwrap_err().to_string();
        assert!(err.contains("too large"), "{err}");
        assert!(super::read_limited("/no/such/file").is_err());
    }
}
