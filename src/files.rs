//! The one way gfnc reads a file a user named: only regular files (a FIFO would block, a
//! device such as `/dev/zero` reports 0 bytes and never ends), opened without blocking, and read
//! through a cap so that no file, whatever its metadata says, fills memory.

use std::fmt;
use std::io::Read;
use std::path::Path;

/// Why [`read_bounded`] read nothing.
#[derive(Debug)]
pub enum ReadError {
    /// The file could not be opened or read.
    Io(std::io::Error),
    /// The path names something other than a regular file (`what` says what: "a directory",
    /// "a named pipe (FIFO)", "a device", "a socket").
    NotRegular(&'static str),
    /// The file holds more than `limit` bytes.
    TooLarge {
        /// The cap that was passed.
        limit: u64,
    },
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReadError::Io(e) => write!(f, "{e}"),
            ReadError::NotRegular(what) => write!(f, "it is {what}, not a regular file"),
            ReadError::TooLarge { limit } => write!(f, "it is larger than {limit} bytes"),
        }
    }
}

impl std::error::Error for ReadError {}

/// What kind of non-regular file `metadata` describes.
fn kind(metadata: &std::fs::Metadata) -> Option<&'static str> {
    let kind = metadata.file_type();
    if kind.is_file() {
        return None;
    }
    if kind.is_dir() {
        return Some("a directory");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_fifo() {
            return Some("a named pipe (FIFO)");
        }
        if kind.is_socket() {
            return Some("a socket");
        }
        if kind.is_char_device() || kind.is_block_device() {
            return Some("a device");
        }
    }
    Some("not a regular file")
}

/// Open the regular file at `path` (symbolic links followed) for reading, without blocking:
/// opening a FIFO for reading would otherwise wait for a writer before it could be refused.
/// For files read as a stream (a samples file of millions of rows); the file's metadata too.
pub fn open_regular(path: &Path) -> Result<(std::fs::File, std::fs::Metadata), ReadError> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    let file = options.open(path).map_err(ReadError::Io)?;
    let metadata = file.metadata().map_err(ReadError::Io)?;
    if let Some(what) = kind(&metadata) {
        return Err(ReadError::NotRegular(what));
    }
    Ok((file, metadata))
}

/// Read the regular file at `path` (symbolic links followed), at most `limit` bytes.
pub fn read_bounded(path: &Path, limit: u64) -> Result<Vec<u8>, ReadError> {
    let (file, metadata) = open_regular(path)?;
    // Refused before reading when the size already says so; the cap below holds whatever the
    // metadata says (a file may grow while it is read).
    if metadata.len() > limit {
        return Err(ReadError::TooLarge { limit });
    }
    let mut bytes = Vec::with_capacity(metadata.len().min(limit) as usize);
    file.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(ReadError::Io)?;
    if bytes.len() as u64 > limit {
        return Err(ReadError::TooLarge { limit });
    }
    Ok(bytes)
}

/// [`read_bounded`] as UTF-8 text, a leading byte-order mark dropped (editors on some systems
/// write one).
pub fn read_text_bounded(path: &Path, limit: u64) -> Result<String, ReadError> {
    let bytes = read_bounded(path, limit)?;
    let text = String::from_utf8(bytes).map_err(|e| {
        ReadError::Io(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!(
                "not UTF-8 text (invalid byte at offset {})",
                e.utf8_error().valid_up_to()
            ),
        ))
    })?;
    Ok(strip_bom(text))
}

/// `text` without a leading UTF-8 byte-order mark.
pub fn strip_bom(text: String) -> String {
    match text.strip_prefix('\u{feff}') {
        Some(rest) => rest.to_string(),
        None => text,
    }
}

/// A quotation of user data for a message: at most `max` characters, with the length of what
/// was left out, so that a 50 MB cell does not become 50 MB of standard error.
pub fn quote(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        None => text.to_string(),
        Some((end, _)) => format!("{}... ({} bytes in all)", &text[..end], text.len()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_devices_and_fifos_and_caps_reads() {
        let dir = std::env::temp_dir().join(format!("gfnc-files-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("dir");
        assert!(matches!(
            read_bounded(Path::new("/dev/zero"), 10),
            Err(ReadError::NotRegular("a device"))
        ));
        let link = dir.join("zero.csv");
        std::os::unix::fs::symlink("/dev/urandom", &link).expect("link");
        assert!(matches!(
            read_bounded(&link, 10),
            Err(ReadError::NotRegular("a device"))
        ));
        let fifo = dir.join("pipe.csv");
        let c = std::ffi::CString::new(fifo.display().to_string()).expect("path");
        // SAFETY: mkfifo reads a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        assert!(matches!(
            read_bounded(&fifo, 10),
            Err(ReadError::NotRegular("a named pipe (FIFO)"))
        ));
        assert!(matches!(
            read_bounded(&dir, 10),
            Err(ReadError::NotRegular("a directory"))
        ));
        let file = dir.join("f.txt");
        std::fs::write(&file, "\u{feff}hello").expect("write");
        assert!(matches!(
            read_bounded(&file, 4),
            Err(ReadError::TooLarge { limit: 4 })
        ));
        assert_eq!(read_text_bounded(&file, 100).expect("text"), "hello");
        assert_eq!(quote("abcdef", 3), "abc... (6 bytes in all)");
        assert_eq!(quote("abc", 3), "abc");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
