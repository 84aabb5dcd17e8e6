//! Reading the files users hand byzlab (experiment files, scripts,
//! witnesses, plan files) with a size limit: a huge file, or a device that
//! never ends (`/dev/zero`), is one clear error, not an unbounded read;
//! and writing the files byzlab produces so that a kill never leaves a
//! truncated one.

use std::io::Read as _;
use std::path::Path;

/// Largest such file, in bytes.
pub const MAX_FILE_BYTES: u64 = 1 << 20;

/// Longest error message taken from a parser, in characters.
const MAX_MESSAGE: usize = 300;

/// A parser's error message on one line and of bounded length: line
/// breaks and runs of spaces become one space, and past [`MAX_MESSAGE`]
/// characters it is cut (a parser that quotes a 1 MB line of input must not
/// make a 1 MB error line).
pub fn one_line(message: &str) -> String {
    let words: Vec<&str> = message.split_whitespace().collect();
    let line = words.join(" ");
    match line.char_indices().nth(MAX_MESSAGE) {
        Some((cut, _)) => format!("{} [...]", &line[..cut]),
        None => line,
    }
}

/// A JSON or TOML parser's message in the words of the file, not of the
/// Rust types it fills: `expected u64` reads `expected a whole number`,
/// `expected internally tagged enum GraphSpec` reads `expected an object
/// with a "kind"`. On one line, as [`one_line`].
pub fn plain_parse_error(message: &str) -> String {
    let mut out = one_line(message);
    for (rust, plain) in [
        ("expected internally tagged enum ", "expected an object with a \"kind\""),
        ("expected struct ", "expected an object"),
        ("expected enum ", "expected a known name"),
    ] {
        while let Some(at) = out.find(rust) {
            // The type's name goes with it.
            let name = at + rust.len();
            let end = out[name..]
                .find(|c: char| !c.is_alphanumeric() && c != '_')
                .map_or(out.len(), |e| name + e);
            out.replace_range(at..end, plain);
        }
    }
    for (rust, plain) in [
        ("expected usize", "expected a whole number"),
        ("expected u64", "expected a whole number"),
        ("expected u32", "expected a whole number"),
        ("expected u16", "expected a whole number"),
        ("expected u8", "expected a whole number"),
        ("expected i64", "expected an integer"),
        ("expected f64", "expected a number"),
        ("expected a sequence", "expected a list"),
        ("expected a map", "expected an object"),
    ] {
        out = out.replace(rust, plain);
    }
    out
}

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

/// Writes `bytes` to `f`. Every write of results goes through here so that
/// a test can kill the process in the middle of any of them: with
/// `BYZLAB_ABORT_AT_WRITE=N` in the environment, the Nth write stops half
/// way and the process aborts, as a SIGKILL would leave it.
pub fn write_out(f: &mut impl std::io::Write, bytes: &[u8]) -> std::io::Result<()> {
    use std::sync::OnceLock;
    use std::sync::atomic::{AtomicU64, Ordering};
    static ABORT_AT: OnceLock<Option<u64>> = OnceLock::new();
    static WRITES: AtomicU64 = AtomicU64::new(0);
    let at = ABORT_AT.get_or_init(|| std::env::var("BYZLAB_ABORT_AT_WRITE").ok().and_then(|v| v.parse().ok()));
    if let Some(at) = *at
        && WRITES.fetch_add(1, Ordering::SeqCst) + 1 == at
    {
        f.write_all(&bytes[..bytes.len() / 2])?;
        f.flush()?;
        std::process::abort();
    }
    f.write_all(bytes)
}

/// Writes a file so that a kill at any moment leaves either the old file or
/// the new one, never a truncated one: into a temporary file `.NAME.tmp-PID`
/// in the same folder, flushed to disk, then renamed over the target. A
/// target that exists and is not a regular file (a device such as
/// `/dev/full`, a folder, a link) is refused: a rename would replace it.
pub fn write_atomic(path: &Path, bytes: impl AsRef<[u8]>) -> std::io::Result<()> {
    if let Ok(m) = std::fs::symlink_metadata(path)
        && !m.is_file()
    {
        return Err(std::io::Error::other(
            "exists and is not a regular file: byzlab does not write over it",
        ));
    }
    let bytes = bytes.as_ref();
    let name = path
        .file_name()
        .map_or("out".into(), |n| n.to_string_lossy().into_owned());
    let tmp = path.with_file_name(format!(".{name}.tmp-{}", std::process::id()));
    let written = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        write_out(&mut f, bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

#[cfg(test)]
mod tests {
    #[test]
    fn endless_and_huge_files_are_refused() {
        let err = super::read_limited("/dev/zero").unwrap_err().to_string();
        assert!(err.contains("too large"), "{err}");
        assert!(super::read_limited("/no/such/file").is_err());
    }

    #[test]
    fn parser_messages_speak_of_the_file_not_of_rust_types() {
        let plain = super::plain_parse_error(
            "invalid type: string \"x\", expected internally tagged enum GraphSpec at line 1; \
             invalid value: integer `-1`, expected usize; expected struct Witness",
        );
        assert_eq!(
            plain,
            "invalid type: string \"x\", expected an object with a \"kind\" at line 1; \
             invalid value: integer `-1`, expected a whole number; expected an object"
        );
    }

    #[test]
    fn parser_messages_are_one_short_line() {
        assert_eq!(super::one_line("a\n  |  b\n\nc "), "a | b c");
        let long = super::one_line(&"é".repeat(1000));
        assert_eq!(long.chars().count(), 300 + " [...]".len());
    }
}
