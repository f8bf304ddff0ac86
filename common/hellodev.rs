// SPDX-License-Identifier: GPL-2.0

//! hellodev core, in Rust: the greeting, the open counter and the read
//! semantics that the Rust frontend shares with nothing but this file,
//! exactly as `common/hellodev.c` does for the C frontends. Nothing here
//! knows how a file is registered.

use crate::kernel_ext::{
    cred,
    fs,
    print, //
};
use kernel::{
    fs::File,
    iov::IovIterDest,
    new_spinlock,
    prelude::*,
    sync::{
        atomic::{
            Atomic,
            Relaxed, //
        },
        Arc,
        SpinLock, //
    },
    time::{
        Delta,
        Instant,
        Monotonic, //
    }, //
};

/// Longest node name, in bytes.
pub(crate) const NAME_MAX: usize = 32;
/// Longest greeting, in bytes; the text read back adds one newline.
pub(crate) const GREETING_MAX: usize = 4095;
/// The greeting when none is given.
pub(crate) const DEFAULT_GREETING: &CStr = c"Hello from C";
/// Node permissions: read bits only, root-only unless widened.
pub(crate) const DEFAULT_MODE: u16 = 0o400;

/// Lines an unprivileged opener may log per [`LOG_INTERVAL`]: the kernel's
/// `DEFAULT_RATELIMIT_BURST`.
const LOG_BURST: u32 = 10;
/// The rate limit's window: the kernel's `DEFAULT_RATELIMIT_INTERVAL`.
const LOG_INTERVAL: Delta = Delta::from_secs(5);

/// The rate limit on open lines caused by unprivileged openers: at most
/// [`LOG_BURST`] in a window of [`LOG_INTERVAL`] that starts with the first
/// line, as the kernel's `__ratelimit()` counts.
struct LogLimit {
    /// Start of the current window, once a line was asked for.
    begin: Option<Instant<Monotonic>>,
    /// Lines let through in the current window.
    printed: u32,
    /// Lines left out, in all.
    missed: u32,
}

impl LogLimit {
    /// Returns whether one more line may be logged now, and counts it.
    fn allow(&mut self) -> bool {
        let now = Instant::<Monotonic>::now();
        if !matches!(self.begin, Some(begin) if now - begin <= LOG_INTERVAL) {
            self.begin = Some(now);
            self.printed = 0;
        }
        if self.printed < LOG_BURST {
            self.printed += 1;
            true
        } else {
            self.missed += 1;
            false
        }
    }
}

/// One greeting device, whatever API exposes it.
///
/// Everything but `opens` and `log_limit` is written once, by
/// [`Hellodev::new`], and read-only afterwards: the file operations take no
/// lock.
#[pin_data]
pub(crate) struct Hellodev {
    /// Node name, also the prefix of every log line.
    name: &'static CStr,
    /// Log every open (rate-limited for openers without `CAP_SYSLOG`).
    log_opens: bool,
    /// Number of opens so far.
    opens: Atomic<u64>,
    /// Rate limit for open lines caused by unprivileged openers.
    #[pin]
    log_limit: SpinLock<LogLimit>,
    /// Bytes in `text`.
    len: usize,
    /// The greeting followed by one newline; no NUL byte.
    text: [u8; GREETING_MAX + 1],
}

/// Whether `c` may be in a node name: ASCII letters and digits, `_ - .`.
fn name_char_ok(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'-' || c == b'.'
}

/// Writes `bytes` into `out` as the kernel's `%*pE` does: printable bytes as
/// they are, `\n \r \t \v \f \a \e` and NUL by name, others in octal.
/// Returns the bytes written, or `None` if `out` is too small.
fn escape(bytes: &[u8], out: &mut [u8]) -> Option<usize> {
    let mut n = 0;
    for &c in bytes {
        // The kernel's isprint(): ASCII 0x20..0x7e and Latin-1 0xa0..0xff.
        let named = match c {
            b'\n' => Some(b'n'),
            b'\r' => Some(b'r'),
            b'\t' => Some(b't'),
            0x0b => Some(b'v'),
            0x0c => Some(b'f'),
            0x07 => Some(b'a'),
            0x1b => Some(b'e'),
            0 => Some(b'0'),
            _ => None,
        };
        let esc: &[u8] = if (0x20..0x7f).contains(&c) || c >= 0xa0 {
            &[c]
        } else if let Some(to) = named {
            &[b'\\', to]
        } else {
            &[b'\\', b'0' + (c >> 6), b'0' + ((c >> 3) & 7), b'0' + (c & 7)]
        };
        out.get_mut(n..n + esc.len())?.copy_from_slice(esc);
        n += esc.len();
    }
    Some(n)
}

/// Checks a node name; `modname` prefixes the message when it is bad.
fn check_name(name: &CStr, modname: &CStr) -> Result {
    let bytes = name.to_bytes();
    if bytes.is_empty() {
        print::err!(modname, "name is empty; give 1 to {NAME_MAX} characters\n");
        return Err(EINVAL);
    }
    if bytes.len() > NAME_MAX {
        print::err!(modname, "name is {} characters long; the limit is {NAME_MAX}\n", bytes.len());
        return Err(EINVAL);
    }
    if bytes.iter().all(|&c| name_char_ok(c)) && bytes[0] != b'.' {
        return Ok(());
    }
    // The name as C's "%*pE" shows it, which may not be UTF-8: as bytes.
    const HEAD: &[u8] = b"name \"";
    const TAIL: &[u8] = b"\" is not allowed; use only A-Z a-z 0-9 _ - . and do not start with '.'\n\0";
    let mut msg = [0u8; HEAD.len() + 4 * NAME_MAX + TAIL.len()];
    msg[..HEAD.len()].copy_from_slice(HEAD);
    let n = HEAD.len() + escape(bytes, &mut msg[HEAD.len()..HEAD.len() + 4 * NAME_MAX]).ok_or(EINVAL)?;
    msg[n..n + TAIL.len()].copy_from_slice(TAIL);
    let msg = CStr::from_bytes_with_nul(&msg[..n + TAIL.len()]).map_err(|_| EINVAL)?;
    print::print_err_bytes(modname, msg);
    Err(EINVAL)
}

/// The bytes a read of `count` bytes at file position `pos` may return from
/// a text of `len` bytes: the Rust `hellodev_read_len()`.
///
/// Returns `EINVAL` for a negative position, 0 at or past the end or for an
/// empty read, else the bytes between `pos` and the end, at most `count`.
pub(crate) fn read_len(len: usize, pos: i64, count: usize) -> Result<usize> {
    let pos = u64::try_from(pos).map_err(|_| EINVAL)?;
    match usize::try_from(pos) {
        Ok(pos) if pos < len => Ok(count.min(len - pos)),
        _ => Ok(0),
    }
}

impl Hellodev {
    /// Checks a device's settings and makes the device: the Rust
    /// `hellodev_setup()`.
    ///
    /// `name` is the node name, or `None` for `modname`, which also prefixes
    /// the message about a bad name. On failure one line says which value to
    /// fix and how.
    ///
    /// Returns `EINVAL` when `name` or `greeting` is out of bounds, or
    /// `ENOMEM`.
    pub(crate) fn new(
        modname: &'static CStr,
        name: Option<&'static CStr>,
        greeting: &CStr,
        log_opens: bool,
    ) -> Result<Arc<Self>> {
        let name = name.unwrap_or(modname);
        check_name(name, modname)?;
        let greeting = greeting.to_bytes();
        if greeting.is_empty() {
            print::err!(name, "greeting is empty; give 1 to {GREETING_MAX} bytes\n");
            return Err(EINVAL);
        }
        if greeting.len() > GREETING_MAX {
            print::err!(name, "greeting is {} bytes long; the limit is {GREETING_MAX}\n", greeting.len());
            return Err(EINVAL);
        }

        let init = try_pin_init!(Self {
            name,
            log_opens,
            opens: Atomic::new(0),
            log_limit <- new_spinlock!(LogLimit {
                begin: None,
                printed: 0,
                missed: 0,
            }),
            len: greeting.len() + 1,
            text <- pin_init::init_zeroed(),
        }? Error)
        .pin_chain(|hd| {
            let text = hd.project().text;
            text[..greeting.len()].copy_from_slice(greeting);
            text[greeting.len()] = b'\n';
            Ok(())
        });
        Arc::pin_init(init, GFP_KERNEL).inspect_err(|e| {
            print::err!(name, "cannot allocate the device ({})\n", e.to_errno());
        })
    }

    /// Returns the node name.
    /// Returns the text a read returns: the greeting and its newline.
    pub(crate) fn text(&self) -> &[u8] {
        &self.text[..self.len]
    }

    /// Checks the node permissions a frontend was given: read bits only,
    /// owner included. Returns `EINVAL`, with one line, for others.
    pub(crate) fn check_mode(&self, mode: u16) -> Result {
        if mode & !0o444 != 0 || mode & 0o400 == 0 {
            // As C's "%#o": 0 is "0", anything else has a leading 0.
            let lead = if mode == 0 { "" } else { "0" };
            print::err!(
                self.name,
                "mode {lead}{mode:o} is not allowed; use read bits only, 0400 included: 0400, 0440, 0404 or 0444\n"
            );
            return Err(EINVAL);
        }
        Ok(())
    }

    /// Counts one open and logs it; `privileged` says the opener may manage
    /// the kernel log (`CAP_SYSLOG`).
    ///
    /// The number is taken and logged in one step, so two concurrent opens
    /// never report the same N. Unprivileged opens share a per-device rate
    /// limit, so a node made readable to all cannot flood the log.
    ///
    /// Returns this open's number, counting from 1.
    pub(crate) fn count_open(&self, privileged: bool) -> u64 {
        let n = self.opens.fetch_add(1, Relaxed) + 1;
        if self.log_opens && (privileged || self.log_limit.lock().allow()) {
            print::info!(self.name, "Opened the file {n} times\n");
        }
        n
    }

    /// Counts an open by the current task: the common part of a frontend's
    /// `open()`. Returns this open's number.
    pub(crate) fn open(&self) -> u64 {
        let privileged = self.log_opens && cred::capable_noaudit(cred::CAP_SYSLOG);
        self.count_open(privileged)
    }

    /// Returns how many times the node has been opened.
    pub(crate) fn open_count(&self) -> u64 {
        self.opens.load(Relaxed)
    }

    /// Reads the greeting into `dest` at `*pos`, as from a file that holds
    /// it, and moves `*pos` past what was copied.
    ///
    /// Short reads work at any size and position. A fault part-way through
    /// the buffer gives a short read; a fault on its first byte `EFAULT`.
    /// Returns the bytes copied, 0 at end of file, or `EINVAL` for a
    /// negative position.
    pub(crate) fn read(&self, pos: &mut i64, dest: &mut IovIterDest<'_>) -> Result<usize> {
        let n = read_len(self.len, *pos, dest.len())?;
        if n == 0 {
            return Ok(0);
        }
        // `read_len()` returned more than 0: `*pos` is in the text.
        let start = *pos as usize;
        let copied = dest.copy_to_iter(&self.text()[start..start + n]);
        if copied == 0 {
            return Err(EFAULT);
        }
        *pos += copied as i64;
        Ok(copied)
    }

    /// Seeks as in a regular file that holds the greeting: `SEEK_SET`,
    /// `SEEK_CUR`, `SEEK_END`, `SEEK_DATA` and `SEEK_HOLE`.
    ///
    /// Returns the new position, `EINVAL` for a negative one or a bad
    /// `whence`, `ENXIO` for `SEEK_DATA` or `SEEK_HOLE` at or past the end.
    pub(crate) fn llseek(&self, file: &File, offset: i64, whence: c_int) -> Result<i64> {
        fs::llseek_size(file, offset, whence, fs::MAX_LFS_FILESIZE, self.len as i64)
    }
}
