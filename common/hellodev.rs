// SPDX-License-Identifier: GPL-2.0

//! hellodev core, in Rust: the greeting, the open counter and the read
//! semantics that the Rust frontend shares with nothing but this file,
//! exactly as `common/hellodev.c` does for the C frontends. Nothing here
//! knows how a file is registered.

use crate::kernel_ext::{
    cred,
    fs,
    print,
    ratelimit::RateLimit, //
};
use kernel::{
    fs::File,
    prelude::*,
    sync::{
        atomic::{
            Atomic,
            Relaxed, //
        },
        Arc, //
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

/// The C function whose `__ratelimit()` the open lines' limit twins: the
/// kernel names it in a "callbacks suppressed" line.
const LOG_LIMIT_FUNC: &CStr = c"hellodev_count_open";

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
    /// Rate limit for open lines caused by unprivileged openers: the
    /// kernel's, set up as the C core's.
    #[pin]
    log_limit: RateLimit,
    /// Bytes in `text`.
    len: usize,
    /// The greeting followed by one newline; no NUL byte.
    text: [u8; GREETING_MAX + 1],
}

/// Whether `c` may be in a node name: ASCII letters and digits, `_ - .`.
fn name_char_ok(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'-' || c == b'.'
}

/// Checks a node name; `modname` prefixes the message when it is bad.
fn check_name(name: &CStr, modname: &CStr) -> Result {
    let bytes = name.to_bytes();
    if bytes.is_empty() {
        print::err!(modname, "name is empty; give 1 to {NAME_MAX} characters\n");
        return Err(EINVAL);
    }
    if bytes.len() > NAME_MAX {
        print::err!(
            modname,
            "name is {} characters long; the limit is {NAME_MAX}\n",
            bytes.len()
        );
        return Err(EINVAL);
    }
    if bytes.iter().all(|&c| name_char_ok(c)) && bytes[0] != b'.' {
        return Ok(());
    }
    // The name as C's "%*pE" shows it, by the kernel's own "%*pE".
    print::err_escaped(
        modname,
        c"name \"",
        bytes,
        c"\" is not allowed; use only A-Z a-z 0-9 _ - . and do not start with '.'\n",
    );
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
            print::err!(
                name,
                "greeting is {} bytes long; the limit is {GREETING_MAX}\n",
                greeting.len()
            );
            return Err(EINVAL);
        }

        let init = try_pin_init!(Self {
            name,
            log_opens,
            opens: Atomic::new(0),
            log_limit <- RateLimit::new(),
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

    /// Returns the text a read returns: the greeting and its newline.
    pub(crate) fn text(&self) -> &[u8] {
        &self.text[..self.len]
    }

    /// Checks the node permissions a frontend was given: read bits only,
    /// owner included. Returns `EINVAL`, with one line, for others. The
    /// debugfs twin, whose files are always 0400, has no caller.
    #[allow(dead_code)]
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
        // As C's `atomic64_inc_return()`: after `u64::MAX` comes 0.
        let n = self.opens.fetch_add(1, Relaxed).wrapping_add(1);
        if self.log_opens && (privileged || self.log_limit.allow(LOG_LIMIT_FUNC)) {
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

    /// Reads the greeting at `*pos` into a destination of `room` bytes,
    /// as from a file that holds it, and moves `*pos` past what was copied.
    ///
    /// `copy` copies the bytes it is given to the start of the destination
    /// and returns how many it copied: as `copy_to_user()`, fewer when the
    /// destination faults part-way, 0 when it faults on its first byte. It
    /// is not called for a read that returns nothing.
    ///
    /// Short reads work at any size and position. A fault part-way through
    /// the destination gives a short read; a fault on its first byte
    /// `EFAULT`. Returns the bytes copied, 0 at end of file, or `EINVAL` for
    /// a negative position.
    #[inline(always)]
    pub(crate) fn read(
        &self,
        pos: &mut i64,
        room: usize,
        copy: impl FnOnce(&[u8]) -> usize,
    ) -> Result<usize> {
        let text = self.text();
        let n = read_len(text.len(), *pos, room)?;
        if n == 0 {
            return Ok(0);
        }
        // `read_len()` returned more than 0: `*pos` is in the text and `n`
        // bytes of it follow, so neither index below can fail.
        let start = *pos as usize;
        let copied = copy(&text[start..][..n]).min(n);
        if copied == 0 {
            return Err(EFAULT);
        }
        // `*pos + copied` is at most the text's length: no wrap.
        *pos = pos.wrapping_add(copied as i64);
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

#[kunit_tests(hellodev_rust)]
mod tests {
    use super::*;
    use crate::kernel_ext::ratelimit;
    use kernel::kunit;

    /// What `Hellodev::new()` gets as its module name: the node name by default.
    const MODNAME: &CStr = c"hellodev_rust";
    const NAME_32: &CStr = c"abcdefghijklmnopqrstuvwxyz012345";
    const NAME_33: &CStr = c"abcdefghijklmnopqrstuvwxyz0123456";
    /// U+1F980 crab, then the seed's words: 20 bytes.
    const RUST_GREETING: &CStr = c"\xf0\x9f\xa6\x80 Hello from rust";

    /// One call of `read_len()` and what it must return.
    struct ReadLenCase {
        len: usize,
        pos: i64,
        count: usize,
        want: core::result::Result<usize, c_int>,
    }

    const fn rl(len: usize, pos: i64, count: usize, want: isize) -> ReadLenCase {
        ReadLenCase {
            len,
            pos,
            count,
            want: if want < 0 {
                Err(want as c_int)
            } else {
                Ok(want as usize)
            },
        }
    }

    const EINVAL_: isize = -(kernel::bindings::EINVAL as isize);
    const SZ: usize = usize::MAX;

    /// Every boundary of pos and count for the shortest text, the default
    /// one ("Hello from C\n") and the longest one, as in the C suite: count
    /// takes 0, 1, left - 1, left, left + 1 and SIZE_MAX, where left = len -
    /// pos, wherever pos is inside the text; outside it only 0, 1, SIZE_MAX.
    const READ_LEN_CASES: [ReadLenCase; 81] = [
        // 1 byte
        rl(1, i64::MIN, 0, EINVAL_),
        rl(1, i64::MIN, 1, EINVAL_),
        rl(1, i64::MIN, SZ, EINVAL_),
        rl(1, -1, 0, EINVAL_),
        rl(1, -1, 1, EINVAL_),
        rl(1, -1, SZ, EINVAL_),
        rl(1, 0, 0, 0),
        rl(1, 0, 1, 1),
        rl(1, 0, 2, 1),
        rl(1, 0, SZ, 1),
        rl(1, 1, 0, 0),
        rl(1, 1, 1, 0),
        rl(1, 1, SZ, 0),
        rl(1, 2, 0, 0),
        rl(1, 2, 1, 0),
        rl(1, 2, SZ, 0),
        rl(1, i64::MAX, 0, 0),
        rl(1, i64::MAX, 1, 0),
        rl(1, i64::MAX, SZ, 0),
        // 13 bytes
        rl(13, i64::MIN, 0, EINVAL_),
        rl(13, i64::MIN, 1, EINVAL_),
        rl(13, i64::MIN, SZ, EINVAL_),
        rl(13, -1, 0, EINVAL_),
        rl(13, -1, 1, EINVAL_),
        rl(13, -1, SZ, EINVAL_),
        rl(13, 0, 0, 0),
        rl(13, 0, 1, 1),
        rl(13, 0, 12, 12),
        rl(13, 0, 13, 13),
        rl(13, 0, 14, 13),
        rl(13, 0, SZ, 13),
        rl(13, 1, 0, 0),
        rl(13, 1, 1, 1),
        rl(13, 1, 11, 11),
        rl(13, 1, 12, 12),
        rl(13, 1, 13, 12),
        rl(13, 1, SZ, 12),
        rl(13, 12, 0, 0),
        rl(13, 12, 1, 1),
        rl(13, 12, 2, 1),
        rl(13, 12, SZ, 1),
        rl(13, 13, 0, 0),
        rl(13, 13, 1, 0),
        rl(13, 13, SZ, 0),
        rl(13, 14, 0, 0),
        rl(13, 14, 1, 0),
        rl(13, 14, SZ, 0),
        rl(13, i64::MAX, 0, 0),
        rl(13, i64::MAX, 1, 0),
        rl(13, i64::MAX, SZ, 0),
        // 4096 bytes: GREETING_MAX and the newline
        rl(4096, i64::MIN, 0, EINVAL_),
        rl(4096, i64::MIN, 1, EINVAL_),
        rl(4096, i64::MIN, SZ, EINVAL_),
        rl(4096, -1, 0, EINVAL_),
        rl(4096, -1, 1, EINVAL_),
        rl(4096, -1, SZ, EINVAL_),
        rl(4096, 0, 0, 0),
        rl(4096, 0, 1, 1),
        rl(4096, 0, 4095, 4095),
        rl(4096, 0, 4096, 4096),
        rl(4096, 0, 4097, 4096),
        rl(4096, 0, SZ, 4096),
        rl(4096, 1, 0, 0),
        rl(4096, 1, 1, 1),
        rl(4096, 1, 4094, 4094),
        rl(4096, 1, 4095, 4095),
        rl(4096, 1, 4096, 4095),
        rl(4096, 1, SZ, 4095),
        rl(4096, 4095, 0, 0),
        rl(4096, 4095, 1, 1),
        rl(4096, 4095, 2, 1),
        rl(4096, 4095, SZ, 1),
        rl(4096, 4096, 0, 0),
        rl(4096, 4096, 1, 0),
        rl(4096, 4096, SZ, 0),
        rl(4096, 4097, 0, 0),
        rl(4096, 4097, 1, 0),
        rl(4096, 4097, SZ, 0),
        rl(4096, i64::MAX, 0, 0),
        rl(4096, i64::MAX, 1, 0),
        rl(4096, i64::MAX, SZ, 0),
    ];

    static_assert!(GREETING_MAX + 1 == 4096);

    #[test]
    fn read_len_at_boundaries() {
        for c in &READ_LEN_CASES {
            let got = read_len(c.len, c.pos, c.count).map_err(|e| e.to_errno());
            if got != c.want {
                kunit::err(fmt!(
                    "    len {} pos {} count {}: got {:?}, want {:?}\n",
                    c.len,
                    c.pos,
                    c.count,
                    got,
                    c.want
                ));
            }
            assert_eq!(got, c.want);
        }
    }

    /// One call of `Hellodev::new()`.
    struct SetupCase {
        desc: &'static str,
        name: Option<&'static CStr>,
        /// The greeting, or `None` for `greeting_len` bytes of a-z.
        greeting: Option<&'static CStr>,
        greeting_len: usize,
        want_name: &'static CStr,
        want_len: usize,
    }

    const fn bad(
        desc: &'static str,
        name: &'static CStr,
        greeting: Option<&'static CStr>,
        len: usize,
    ) -> SetupCase {
        SetupCase {
            desc,
            name: Some(name),
            greeting,
            greeting_len: len,
            want_name: c"",
            want_len: 0,
        }
    }

    const SETUP_BAD_CASES: [SetupCase; 11] = [
        bad("empty name", c"", Some(c"Hi"), 0),
        bad("33-byte name", NAME_33, Some(c"Hi"), 0),
        bad("name with '/'", c"a/b", Some(c"Hi"), 0),
        bad("name with ' '", c"a b", Some(c"Hi"), 0),
        bad("name with a newline", c"a\nb", Some(c"Hi"), 0),
        bad("name with a leading '.'", c".hidden", Some(c"Hi"), 0),
        bad("name \".\"", c".", Some(c"Hi"), 0),
        bad("name \"..\"", c"..", Some(c"Hi"), 0),
        bad("Latin-1 name caf\\xe9", c"caf\xe9", Some(c"Hi"), 0),
        bad("empty greeting", c"hellodev", Some(c""), 0),
        bad("4096-byte greeting", c"hellodev", None, 4096),
    ];

    const fn good(
        desc: &'static str,
        name: Option<&'static CStr>,
        greeting: Option<&'static CStr>,
        greeting_len: usize,
        want_name: &'static CStr,
        want_len: usize,
    ) -> SetupCase {
        SetupCase {
            desc,
            name,
            greeting,
            greeting_len,
            want_name,
            want_len,
        }
    }

    const SETUP_GOOD_CASES: [SetupCase; 7] = [
        good(
            "no name: module name",
            None,
            Some(c"Hello from C"),
            0,
            MODNAME,
            13,
        ),
        good("32-byte name", Some(NAME_32), Some(c"Hi"), 0, NAME_32, 3),
        good(
            "name rust_mydev",
            Some(c"rust_mydev"),
            Some(c"Hi"),
            0,
            c"rust_mydev",
            3,
        ),
        good(
            "name a.b-c_9",
            Some(c"a.b-c_9"),
            Some(c"Hi"),
            0,
            c"a.b-c_9",
            3,
        ),
        good(
            "1-byte greeting",
            Some(c"hellodev"),
            Some(c"x"),
            0,
            c"hellodev",
            2,
        ),
        good(
            "4095-byte greeting",
            Some(c"hellodev"),
            None,
            4095,
            c"hellodev",
            4096,
        ),
        good(
            "UTF-8 greeting",
            Some(c"rust_mydev"),
            Some(RUST_GREETING),
            0,
            c"rust_mydev",
            21,
        ),
    ];

    static_assert!(NAME_32.count_bytes() == NAME_MAX);
    static_assert!(NAME_33.count_bytes() == NAME_MAX + 1);
    static_assert!(RUST_GREETING.count_bytes() == 20);

    /// The case's greeting, with its NUL; a made-up one cycles through a-z
    /// to catch shifts.
    fn greeting_of(c: &SetupCase) -> Result<KVec<u8>> {
        let mut text = KVec::new();
        match c.greeting {
            Some(g) => text.extend_from_slice(g.to_bytes_with_nul(), GFP_KERNEL)?,
            None => {
                for i in 0..c.greeting_len {
                    text.push(b'a' + (i % 26) as u8, GFP_KERNEL)?;
                }
                text.push(0, GFP_KERNEL)?;
            }
        }
        Ok(text)
    }

    fn new_from(c: &SetupCase) -> Result<Result<Arc<Hellodev>>> {
        let text = greeting_of(c)?;
        let greeting = CStr::from_bytes_with_nul(&text).map_err(|_| EINVAL)?;
        Ok(Hellodev::new(MODNAME, c.name, greeting, true))
    }

    #[test]
    fn setup_rejects_bad_values() -> Result {
        for c in &SETUP_BAD_CASES {
            let got = new_from(c)?.map(|_| ()).map_err(|e| e.to_errno());
            if got != Err(EINVAL.to_errno()) {
                kunit::err(fmt!("    {}: got {:?}, want EINVAL\n", c.desc, got));
            }
            assert_eq!(got, Err(EINVAL.to_errno()));
        }
        Ok(())
    }

    #[test]
    fn setup_accepts_good_values() -> Result {
        for c in &SETUP_GOOD_CASES {
            let text = greeting_of(c)?;
            let hd = new_from(c)?;
            if hd.is_err() {
                kunit::err(fmt!("    {}: refused\n", c.desc));
            }
            let hd = hd?;
            let ok = hd.name == c.want_name
                && hd.len == c.want_len
                && hd.text()[..hd.len - 1] == text[..text.len() - 1]
                && hd.text()[hd.len - 1] == b'\n'
                && !hd.text().contains(&0)
                && hd.log_opens
                && hd.open_count() == 0;
            if !ok {
                kunit::err(fmt!("    {}: name, text or state is wrong\n", c.desc));
            }
            assert!(ok);
        }
        Ok(())
    }

    /// A device with the default greeting; its name is `MODNAME`.
    fn new_hellodev(log_opens: bool) -> Result<Arc<Hellodev>> {
        Hellodev::new(MODNAME, None, DEFAULT_GREETING, log_opens)
    }

    /// What one `read()` did: its result, `*pos` after it, and where and
    /// how many bytes it handed the destination (`None`: it did not ask).
    type ReadOutcome = (
        core::result::Result<usize, c_int>,
        i64,
        Option<(*const u8, usize)>,
    );

    /// `read()` at `pos` into a destination of `room` bytes that takes at
    /// most `take` of the bytes it is given, as a buffer that faults after
    /// them.
    fn read_through(hd: &Hellodev, pos: i64, room: usize, take: usize) -> ReadOutcome {
        let mut p = pos;
        let mut given = None;
        let got = hd
            .read(&mut p, room, |bytes| {
                given = Some((bytes.as_ptr(), bytes.len()));
                bytes.len().min(take)
            })
            .map_err(|e| e.to_errno());
        (got, p, given)
    }

    /// The read semantics over a destination that may fault part-way: the
    /// text's bytes at `pos`, a short read when the destination takes only
    /// some, `EFAULT` when it takes none, and no copy when nothing is read.
    #[test]
    fn read_copies_what_the_destination_takes() -> Result {
        let hd = new_hellodev(false)?;
        let at = |pos: usize, n: usize| Some((hd.text()[pos..].as_ptr(), n));
        let efault = Err(EFAULT.to_errno());
        let einval = Err(EINVAL.to_errno());
        assert_eq!(hd.text(), b"Hello from C\n");
        // All it asks for, from the start and from the middle.
        assert_eq!(
            read_through(&hd, 0, 100, usize::MAX),
            (Ok(13), 13, at(0, 13))
        );
        assert_eq!(read_through(&hd, 5, 4, usize::MAX), (Ok(4), 9, at(5, 4)));
        assert_eq!(read_through(&hd, 12, 8, usize::MAX), (Ok(1), 13, at(12, 1)));
        // A fault part-way: a short read of the bytes before it.
        assert_eq!(read_through(&hd, 0, 13, 5), (Ok(5), 5, at(0, 13)));
        assert_eq!(read_through(&hd, 3, 13, 1), (Ok(1), 4, at(3, 10)));
        // A fault on the first byte: EFAULT, the position unchanged.
        assert_eq!(read_through(&hd, 2, 13, 0), (efault, 2, at(2, 11)));
        // Nothing to read: the destination is not asked.
        assert_eq!(read_through(&hd, 13, 13, 0), (Ok(0), 13, None));
        assert_eq!(read_through(&hd, i64::MAX, 13, 0), (Ok(0), i64::MAX, None));
        assert_eq!(read_through(&hd, 0, 0, 0), (Ok(0), 0, None));
        assert_eq!(read_through(&hd, -1, 13, 13), (einval, -1, None));
        Ok(())
    }

    /// Each mode and what `check_mode()` must return, as in the C suite.
    const CHECK_MODE_CASES: [(u16, bool); 16] = [
        (0o400, true),   // the default: owner only
        (0o440, true),   // owner and group
        (0o444, true),   // everyone
        (0o404, true),   // owner and others
        (0, false),      // nobody
        (0o040, false),  // group, not owner
        (0o004, false),  // others, not owner
        (0o200, false),  // write only
        (0o600, false),  // owner writes
        (0o644, false),  // the usual file mode
        (0o555, false),  // execute for everyone
        (0o500, false),  // owner executes
        (0o1400, false), // sticky
        (0o2444, false), // setgid
        (0o4444, false), // setuid
        (0o777, false),  // everything
    ];

    #[test]
    fn check_mode_allows_read_bits_only() -> Result {
        let hd = new_hellodev(true)?;
        for &(mode, ok) in &CHECK_MODE_CASES {
            let got = hd.check_mode(mode).map_err(|e| e.to_errno());
            let want = if ok { Ok(()) } else { Err(EINVAL.to_errno()) };
            if got != want {
                kunit::err(fmt!("    mode {mode:o}: got {got:?}, want {want:?}\n"));
            }
            assert_eq!(got, want);
        }
        Ok(())
    }

    /// Lines the rate limit lets through per window.
    const BURST: u32 = ratelimit::DEFAULT_BURST;

    /// The rate limit's counts: lines the window still lets through (0
    /// before the first), lines left out.
    fn limit_counts(hd: &Hellodev) -> (i32, i32) {
        (hd.log_limit.left(), hd.log_limit.missed())
    }

    #[test]
    fn count_open_numbers_from_one() -> Result {
        let hd = new_hellodev(false)?;
        assert_eq!(hd.open_count(), 0);
        for i in 1..=20u64 {
            assert_eq!(hd.count_open(i & 1 == 1), i);
            assert_eq!(hd.open_count(), i);
        }
        Ok(())
    }

    /// After the largest number comes 0, as after C's `atomic64_inc_return()`
    /// of the same bits: no overflow panic.
    #[test]
    fn count_open_wraps_after_the_largest_number() -> Result {
        let hd = new_hellodev(true)?;
        hd.opens.store(u64::MAX - 1, Relaxed);
        assert_eq!(hd.count_open(true), u64::MAX);
        assert_eq!(hd.count_open(true), 0);
        assert_eq!(hd.count_open(false), 1);
        assert_eq!(hd.open_count(), 1);
        Ok(())
    }

    #[test]
    fn count_open_without_log_changes_only_count() -> Result {
        let hd = new_hellodev(false)?;
        for i in 0..3 * BURST {
            hd.count_open(i & 1 == 1);
        }
        assert_eq!(hd.open_count(), u64::from(3 * BURST));
        // Had the limit been asked 30 times: (0, 20).
        assert_eq!(limit_counts(&hd), (0, 0));
        Ok(())
    }

    #[test]
    fn count_open_rate_limits_unprivileged() -> Result {
        let hd = new_hellodev(true)?;
        let opens = u64::from(BURST) + 15;
        for i in 1..=opens {
            assert_eq!(hd.count_open(false), i);
        }
        assert_eq!(hd.open_count(), opens);
        assert_eq!(limit_counts(&hd), (0, 15));

        // Privileged opens are all logged and leave the limit alone.
        for i in 1..=5 {
            assert_eq!(hd.count_open(true), opens + i);
        }
        assert_eq!(hd.open_count(), opens + 5);
        assert_eq!(limit_counts(&hd), (0, 15));
        Ok(())
    }

    #[test]
    fn count_open_never_limits_privileged() -> Result {
        let hd = new_hellodev(true)?;
        let opens = 2 * u64::from(BURST);
        for i in 1..=opens {
            assert_eq!(hd.count_open(true), i);
        }
        assert_eq!(hd.open_count(), opens);
        assert_eq!(limit_counts(&hd), (0, 0));

        // ... so the whole burst is still there for unprivileged ones.
        hd.count_open(false);
        assert_eq!(limit_counts(&hd), (BURST as i32 - 1, 0));
        for _ in 0..BURST {
            hd.count_open(false);
        }
        assert_eq!(hd.open_count(), opens + u64::from(BURST) + 1);
        assert_eq!(limit_counts(&hd), (0, 1));
        Ok(())
    }

    /// Opens left out past the largest count are opens like the others: the
    /// count is the kernel's `int`, which wraps as an `atomic_t` does. (The
    /// core's own `u32` count panicked there, inside `misc_open()`.)
    #[test]
    fn count_open_past_the_largest_missed_count() -> Result {
        let hd = new_hellodev(true)?;
        for _ in 0..BURST {
            hd.count_open(false);
        }
        assert_eq!(limit_counts(&hd), (0, 0));
        hd.log_limit.set_missed(i32::MAX - 1);
        for i in 1..=4u64 {
            assert_eq!(hd.count_open(false), u64::from(BURST) + i);
        }
        assert_eq!(hd.open_count(), u64::from(BURST) + 4);
        assert_eq!(limit_counts(&hd), (0, (i32::MAX - 1).wrapping_add(4)));
        Ok(())
    }
}
