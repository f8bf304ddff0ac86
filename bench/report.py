#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
# Write docs/comparison.md from build/bench/*/bench.json (one column per
# kernel) and the tree: every number comes from the benchmark's JSON or is
# counted in variants/; only the descriptions of the APIs are text here.
"""Generate docs/comparison.md; see scripts/report.sh."""

import argparse
import json
import os
import re
import sys

APIS = ["misc", "cdev", "debugfs"]
MODULE = {a: "hellodev_%s.ko" % a for a in APIS}

# Kernel calls a frontend makes to set up and to undo its registration,
# searched for in variants/<api>.c; the compat.h wrapper is named for the
# call it wraps.
SETUP_CALLS = [
    "misc_register", "alloc_chrdev_region", "class_create", "cdev_alloc",
    "cdev_init", "cdev_add", "device_create_with_groups", "debugfs_create_dir",
    "debugfs_create_file", "debugfs_create_file_unsafe",
]
UNDO_CALLS = [
    "misc_deregister", "device_destroy", "cdev_del", "class_destroy",
    "unregister_chrdev_region", "debugfs_remove_recursive",
]
ALIASES = {"hellodev_class_create": "class_create"}

# What the source of the APIs (Linux 6.1: drivers/char/misc.c,
# fs/char_dev.c, fs/debugfs/) says; the rows that are not measured.
FACTS = {
    "misc": {
        "node creation": "devtmpfs creates `/dev/<name>` from the misc "
                         "class device that `misc_register()` adds",
        "default permissions": "`0400` root, from `miscdevice.mode` "
                               "(module parameter `mode`)",
        "device numbers": "one minor of major 10, from the dynamic misc "
                          "minors",
        "unload while open": "refused (`EAGAIN` from `rmmod`): "
                             "`misc_open()` takes a reference on "
                             "`fops->owner`",
        "lockdown": "no check on open or read; as for every module, "
                    "loading needs a valid signature once locked down",
    },
    "cdev": {
        "node creation": "devtmpfs creates `/dev/<name>` from the device "
                         "that `device_create_with_groups()` adds to our "
                         "class `hellodev`",
        "default permissions": "`0400` root, from the class `devnode()` "
                               "callback (module parameter `mode`)",
        "device numbers": "a major of its own from "
                          "`alloc_chrdev_region()`, listed in "
                          "`/proc/devices`",
        "unload while open": "refused (`EAGAIN`): `chrdev_open()` pins "
                             "`cdev.owner` and `fops->owner`",
        "lockdown": "no check on open or read; as for every module, "
                    "loading needs a valid signature once locked down",
    },
    "debugfs": {
        "node creation": "the debugfs file is the node: "
                         "`<debugfs>/<name>/greeting`, only where debugfs "
                         "is built, allowed and mounted; with "
                         "`debugfs=off` the module refuses to load "
                         "(`EPERM`, one line)",
        "default permissions": "file `0400` in a debugfs whose root is "
                               "`0700`",
        "device numbers": "none",
        "unload while open": "refused (`EAGAIN`): debugfs' open proxy "
                             "takes a reference on `fops->owner`; only "
                             "the full proxy (`full_proxy=Y`) also makes "
                             "removal wait for calls in progress",
        "lockdown": "under lockdown (integrity and above) debugfs refuses "
                    "an open unless the file is read-only for all, opened "
                    "read-only and has no ioctl or mmap, and refuses "
                    "chmod and chown: `greeting` (0400, read and llseek "
                    "only) stays readable",
    },
}

TARGET_LABEL = {
    "misc": "misc", "cdev": "cdev", "debugfs": "debugfs",
    "debugfs_proxy": "debugfs full proxy", "rust": "Rust twin (misc)",
    "rust_kmisc": "Rust core on `kernel::miscdevice`",
    "rust_cdev": "Rust twin (cdev)", "rust_debugfs": "Rust twin (debugfs)",
    "rust_debugfs_proxy": "Rust twin (debugfs full proxy)",
    "zero": "/dev/zero", "null": "/dev/null",
}

# Each API: its C frontend's target and module, its Rust twin's.
API_TWINS = [("misc", "misc", "hellodev_misc", "rust", "hellodev_rust"),
             ("cdev", "cdev", "hellodev_cdev", "rust_cdev",
              "hellodev_rust_cdev"),
             ("debugfs", "debugfs", "hellodev_debugfs", "rust_debugfs",
              "hellodev_rust_debugfs"),
             ("debugfs, full proxy", "debugfs_proxy", "hellodev_debugfs",
              "rust_debugfs_proxy", "hellodev_rust_debugfs")]

# The two twins, file by file: (role, path, first line not counted or None).
C_TWIN = [("core", "common/hellodev.c"), ("core", "common/hellodev.h"),
          ("core", "common/hellodev_uaccess.h"),
          ("frontend", "variants/misc.c"), ("frontend", "variants/cdev.c"),
          ("frontend", "variants/debugfs.c")]
RUST_TWIN = [("core", "common/hellodev.rs"),
             ("frontend", "variants/rust_misc.rs"),
             ("frontend", "variants/rust_cdev.rs"),
             ("frontend", "variants/rust_debugfs.rs"),
             ("extensions", "rust/kernel_ext.rs"), ("extensions", "rust/cred.rs"),
             ("extensions", "rust/fs.rs"), ("extensions", "rust/miscdevice.rs"),
             ("extensions", "rust/chrdev.rs"), ("extensions", "rust/debugfs.rs"),
             ("extensions", "rust/file_ops.rs"),
             ("extensions", "rust/device_attr.rs"),
             ("extensions", "rust/module_param.rs"),
             ("extensions", "rust/pin_init.rs"), ("extensions", "rust/print.rs"),
             ("extensions", "rust/ratelimit.rs"),
             ("extensions", "rust/uaccess.rs"),
             ("C helpers", "rust/ratelimit_helper.c"),
             ("C helpers", "rust/ratelimit_helper.h"),
             ("C helpers", "rust/uaccess_helper.c"),
             ("C helpers", "rust/uaccess_helper.h")]

# What 7.3's Rust offers each API, read from linux-source-7.3: per row, the
# capability, the C function or field it stands for, and a pattern that
# finds it as a safe abstraction in the API's files (RUST_FILES).
ABSTRACTIONS = {
    "misc": [
        ("register a device, node in /dev", "misc_register",
         r"pub fn register\("),
        ("node permissions", "miscdevice.mode",
         r"pub struct MiscDeviceOptions\s*\{[^}]*\bmode\b"),
        ("sysfs attributes of the device", "miscdevice.groups",
         r"pub struct MiscDeviceOptions\s*\{[^}]*\bgroups\b"),
        ("open and release", "file_operations.open", r"\bfn open\("),
        ("read", "file_operations.read_iter", r"fn read_iter\("),
        ("read into the user buffer, a partial copy a short read",
         "file_operations.read", r"\bfn read\("),
        ("llseek", "file_operations.llseek", r"fn llseek\("),
        ("data owned by the registration, handed to open",
         "miscdevice.this_device driver data", r"RegistrationData"),
    ],
    "debugfs": [
        ("directory, removed on drop", "debugfs_create_dir",
         r"pub fn new\(name: &CStr\) -> Self"),
        ("subdirectory", "debugfs_create_dir", r"pub fn subdir\("),
        ("read-only file showing a value (`Writer`, as `Display`)",
         "debugfs_create_file_full", r"pub fn read_only_file<"),
        ("read-write and write-only files of a value (`Reader`)",
         "debugfs_create_file_full", r"pub fn read_write_file<"),
        ("files of raw bytes (`BinaryWriter`, `BinaryReader`)",
         "debugfs_create_file_full", r"pub fn read_binary_file<"),
        ("files shown and parsed by callbacks", "debugfs_create_file_full",
         r"pub fn read_callback_file<"),
        ("write-only files (`Reader`, `BinaryReader`, callbacks)",
         "debugfs_create_file_full", r"pub fn write_only_file<"),
        ("directories and files made inside a `Scope` (`ScopedDir`)",
         "debugfs_create_dir", r"pub struct ScopedDir<"),
        ("a directory whose creation can fail, with its error",
         "debugfs_create_dir", r"pub fn new\(name: &CStr\) -> Result"),
        ("data that lives as long as its directory tree (`Scope`)",
         "debugfs_remove", r"pub struct Scope<"),
        ("file with its own open, read and llseek", "debugfs_create_file_unsafe",
         r"pub trait \w+[^{]*\{[^}]*fn open\("),
        ("file without the full proxy", "debugfs_create_file_unsafe",
         r"debugfs_create_file_unsafe"),
    ],
    "cdev": [
        ("device number region", "alloc_chrdev_region",
         r"alloc_chrdev_region"),
        ("character device", "cdev_add", r"\bcdev_add\b"),
        ("class and device, node in /dev", "device_create_with_groups",
         r"device_create_with_groups"),
        ("file operations of a character device", "cdev.ops",
         r"pub trait \w*[Cc]dev\w*"),
    ],
}


# What hellodev's own rust/ offers each API now: its files, and per
# capability of ABSTRACTIONS a pattern that finds it there (a capability
# not listed is not there).
OUR_FILES = {"misc": ["rust/miscdevice.rs", "rust/file_ops.rs",
                      "rust/device_attr.rs"],
             "cdev": ["rust/chrdev.rs", "rust/file_ops.rs",
                      "rust/device_attr.rs"],
             "debugfs": ["rust/debugfs.rs", "rust/file_ops.rs"]}
OURS = {
    "register a device, node in /dev": r"fn register\(",
    "node permissions": r"pub\(crate\) mode: u16",
    "sysfs attributes of the device": r"attributes: &'static \[&'static Attribute<",
    "open and release": r"\bfn open\(",
    "read": r"fn read_iter\(",
    "read into the user buffer, a partial copy a short read": r"\bfn read\(",
    "llseek": r"fn llseek\(",
    "data owned by the registration, handed to open": r"type RegistrationData",
    "directory, removed on drop": r"debugfs_create_dir",
    "file with its own open, read and llseek": r"pub\(crate\) trait DebugfsFile",
    "file without the full proxy": r"debugfs_create_file_unsafe",
    "a directory whose creation can fail, with its error": r"DebugfsStep::Dir",
    "read-only file showing a value (`Writer`, as `Display`)":
        r"pub\(crate\) struct DebugfsAttribute",
    "device number region": r"alloc_chrdev_region",
    "character device": r"\bcdev_add\b",
    "class and device, node in /dev": r"device_create_with_groups",
    "file operations of a character device": r"pub\(crate\) trait CharDevice",
}


def ours(top, api):
    """Per capability of @api, whether hellodev's rust/ has it."""
    text = ""
    for rel in OUR_FILES[api]:
        with open(os.path.join(top, rel), encoding="utf-8") as f:
            text += f.read()
    return {what: bool(OURS.get(what) and re.search(OURS[what], text))
            for what, _, _ in ABSTRACTIONS[api]}


def strip_comments(text):
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    return re.sub(r"//[^\n]*", "", text)


def frontend_facts(top, api):
    path = os.path.join(top, "variants", api + ".c")
    with open(path, encoding="utf-8") as f:
        text = f.read()
    lines = text.count("\n")
    code = sum(1 for line in strip_comments(text).splitlines()
               if line.strip())
    calls = strip_comments(text)
    for alias, name in ALIASES.items():
        calls = re.sub(r"\b%s\b" % alias, name, calls)

    def found(names):
        return [n for n in names if re.search(r"\b%s\s*\(" % n, calls)]

    return {"lines": lines, "code": code, "setup": found(SETUP_CALLS),
            "undo": found(UNDO_CALLS),
            "compat": '#include "compat.h"' in text}


def count_lines(path, stop=None):
    """Lines, and lines of code (not blank, not only a comment), of @path,
    up to the first line that contains @stop."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    if stop and stop in text:
        text = text[:text.index(stop)]
        text = text[:text.rfind("\n", 0, len(text)) + 1]
    code = sum(1 for line in strip_comments(text).splitlines()
               if line.strip())
    return text.count("\n"), code


def twin_loc(top):
    """Lines of each twin by role; the Rust core stops at its tests."""
    out = {}
    for lang, files in (("C", C_TWIN), ("Rust", RUST_TWIN)):
        roles = {}
        for role, path in files:
            stop = "#[kunit_tests" if path.endswith(".rs") else None
            n, c = count_lines(os.path.join(top, path), stop)
            r = roles.setdefault(role, [0, 0, []])
            r[0] += n
            r[1] += c
            r[2].append(path)
        out[lang] = roles
    return out


def unsafe_blocks(top):
    """Every unsafe block of the Rust twin: file, line, enclosing fn and the
    first sentence of the SAFETY comment above it."""
    blocks = []
    files = [p for _, p in RUST_TWIN if p.endswith(".rs")]
    for path in files:
        with open(os.path.join(top, path), encoding="utf-8") as f:
            lines = f.read().splitlines()
        fn = "-"
        for i, line in enumerate(lines):
            m = re.search(r"\bfn (\w+)", line)
            if m:
                fn = m.group(1)
            code = line.split("//", 1)[0]
            for _ in re.finditer(r"\bunsafe \{", code):
                j = i
                while j >= 0 and "SAFETY:" not in lines[j]:
                    j -= 1
                why = ""
                if j >= 0:
                    k = j
                    parts = []
                    while k < i and lines[k].strip().startswith("//"):
                        parts.append(lines[k].strip().lstrip("/ ").strip())
                        k += 1
                    why = " ".join(parts).replace("SAFETY: ", "", 1)
                    m2 = re.match(r"(.+?\.)(\s|$)", why.lstrip("* "))
                    why = m2.group(1) if m2 else why
                blocks.append({"file": path, "line": i + 1, "fn": fn,
                               "why": why})
    return blocks


def includes_of(src, header, seen):
    """Headers that @header includes, transitively (every #include, whatever
    its #if: what bindgen could see)."""
    for base in ("include", "arch/x86/include", "include/uapi",
                 "arch/x86/include/uapi"):
        path = os.path.join(src, base, header)
        if os.path.exists(path):
            break
    else:
        return
    if path in seen:
        return
    seen.add(path)
    with open(path, encoding="utf-8", errors="replace") as f:
        for m in re.finditer(r"^#\s*include\s*<([^>]+)>", f.read(), re.M):
            includes_of(src, m.group(1), seen)


def c_declaration(headers, name):
    """"bindings" if @name is declared as a function (not static inline) in
    @headers, "helper" if only as a static inline, else "none"."""
    kinds = set()
    for m in re.finditer(r"\b%s\s*\(" % name, headers):
        line_start = headers.rfind("\n", 0, m.start()) + 1
        stmt = headers[line_start:m.start()]
        if not stmt.strip():
            # The name starts its line: the type ends the line before.
            prev = headers.rfind("\n", 0, line_start - 1) + 1
            stmt = headers[prev:m.start()]
        # Attribute macros such as __printf(6, 7) may lead the type.
        stmt = re.sub(r"\b__\w+\([^)]*\)", "", stmt)
        if "#define" in stmt or "(" in stmt or "return" in stmt:
            continue
        if not re.search(r"\w[\s*]+$", stmt):
            continue
        kinds.add("helper" if "static inline" in stmt else "bindings")
    return "bindings" if "bindings" in kinds else (
        "helper" if kinds else "none")


RUST_FILES = {"misc": ["rust/kernel/miscdevice.rs"],
              "debugfs": ["rust/kernel/debugfs.rs", "rust/kernel/debugfs/"],
              "cdev": []}


def rust_abstractions(src):
    """Per API and capability: safe in the API's files of rust/kernel/,
    reachable through kernel::bindings (declared, not inline, in a header
    that rust/bindings/bindings_helper.h includes), or not there at all."""
    helper = os.path.join(src, "rust", "bindings", "bindings_helper.h")
    seen = set()
    with open(helper, encoding="utf-8") as f:
        for m in re.finditer(r"^#\s*include\s*<([^>]+)>", f.read(), re.M):
            includes_of(src, m.group(1), seen)
    headers = ""
    for h in sorted(seen):
        with open(h, encoding="utf-8", errors="replace") as f:
            headers += f.read()
    out = {}
    for api, rows in ABSTRACTIONS.items():
        rust = ""
        files = []
        for rel in RUST_FILES[api]:
            path = os.path.join(src, rel)
            paths = [os.path.join(path, n) for n in sorted(os.listdir(path))
                     if n.endswith(".rs")] if os.path.isdir(path) else [path]
            for p in paths:
                if os.path.exists(p):
                    files.append(os.path.relpath(p, src))
                    with open(p, encoding="utf-8") as f:
                        rust += f.read()
        res = []
        for what, cfun, pattern in rows:
            if rust and re.search(pattern, rust, re.S):
                status = "safe"
            elif "." in cfun:
                status = ("bindings" if re.search(r"\bstruct %s\s*\{"
                                                  % cfun.split(".")[0],
                                                  headers) else "none")
            else:
                status = c_declaration(headers, cfun)
            res.append((what, cfun, status))
        out[api] = {"files": files, "rows": res}
    return out


STATUS = {
    "safe": "safe abstraction",
    "bindings": "only through `kernel::bindings` (`unsafe`)",
    "helper": "a `static inline`: needs a C helper, and then `unsafe`",
    "none": "not there",
}


def api_twins(rusty):
    """Each API's C frontend beside its Rust twin, measured in the same
    boots: per read, per open, allocations and module sizes."""
    w = ["### Each API, C and Rust\n"]
    w.append("Every C frontend and its Rust twin, loaded and measured in "
             "the same boots (the full proxies in a boot set of their "
             "own); Rust/C is the median over boots of the ratio in one "
             "boot.\n")
    for api, ct, cmod, rt, rmod in API_TWINS:
        have = [b for b in rusty if fig(b, rt, "pread/13/0") is not None]
        if not have:
            w.append("%s: no kernel measured here has `%s.ko`.\n"
                     % (api, rmod))
            continue
        rows_by = []
        for b in have:
            rows = []
            for key, label in (("pread/13/0", "pread 13 B"),
                               ("pread/256/0", "pread 256 B"),
                               ("pread/4096/0", "pread 4096 B"),
                               ("orc/13/0", "open+read+close, log_opens=0"),
                               ("orc/13/1", "open+read+close, log_opens=1")):
                c, r = fig(b, ct, key), fig(b, rt, key)
                rc = ratio(b, rt, key, ct)
                rows.append((label, "C %.0f ns, Rust %.0f ns: Rust/C %.3f×"
                             % (c["median"], r["median"], rc)
                             if c and r and rc is not None else "-"))
            rows.append(("allocations per op, Rust", allocs(b, rt)))
            sizes = b.get("ko_sizes", {})
            for mod in (cmod, rmod):
                z = sizes.get(mod)
                rows.append(("`%s.ko` text, data, bss (B)" % mod,
                             "%d, %d, %d" % (z["text"], z["data"], z["bss"])
                             if z else "-"))
            rows_by.append(rows)
        w.append("%s (`%s.ko` and `%s.ko`):\n" % (api, cmod, rmod))
        w.append(kernel_table(["`%s`" % b["kernel"] for b in have], rows_by))
        w.append("")
    return w


def c_and_rust(benches, top, src, plot):
    """The section that sets the Rust twin beside C misc."""
    w = ["## C and Rust\n"]
    w.append("The Rust twin (`hellodev_rust.ko`) and C misc "
             "(`hellodev_misc.ko`) are loaded and measured in the same "
             "boots; only a kernel built with `CONFIG_RUST` has the twin.\n")
    rows_by = []
    rusty = [b for b in benches if fig(b, "rust", "pread/13/0") is not None]
    if not rusty:
        w.append("No kernel measured here has the twin.\n")
        return w
    for b in rusty:
        rows = []
        has = True
        for key, label in (("pread/13/0", "per read: pread 13 B"),
                           ("pread/256/0", "per read: pread 256 B"),
                           ("pread/4096/0", "per read: pread 4096 B"),
                           ("orc/13/0", "per open: open+read+close, "
                                        "log_opens=0"),
                           ("orc/13/1", "per open: open+read+close, "
                                        "log_opens=1"),
                           ("orc_at/13/0", "per open: openat(dirfd)+read+"
                                           "close, log_opens=0")):
            c = fig(b, "misc", key)
            r = fig(b, "rust", key)
            rm = ratio(b, "rust", key, "misc")
            u = fig(b, "rust_kmisc", key) if key.startswith("pread") else None
            um = ratio(b, "rust_kmisc", key, "misc")
            if not has:
                rows.append((label, "C %.0f ns; no Rust in this kernel"
                             % c["median"] if c else "-"))
                continue
            cell = ("C %.0f ns, Rust %.0f ns: Rust/C %.3f×"
                    % (c["median"], r["median"], rm))
            if u and um is not None:
                cell += ("; Rust core on `kernel::miscdevice` %.0f ns: "
                         "%.3f×" % (u["median"], um))
            rows.append((label, cell))
        for t in ("misc", "rust"):
            rows.append(("allocations per op, %s" % ("C" if t == "misc"
                                                       else "Rust"),
                         allocs(b, t) if has or t == "misc" else "-"))
        sizes = b.get("ko_sizes", {})
        for mod, lang in (("hellodev_misc", "C"), ("hellodev_rust", "Rust")):
            z = sizes.get(mod)
            rows.append(("`%s.ko` text, data, bss (B)" % mod,
                         "%d, %d, %d" % (z["text"], z["data"], z["bss"])
                         if z else "-"))
        rows_by.append(rows)
    w.append(kernel_table(["`%s`" % b["kernel"] for b in rusty], rows_by))
    w.append("")
    w.append("Ratios are the median over boots of Rust/C in the same "
             "boot. “Rust core on `kernel::miscdevice`” is "
             "`hellodev_rust_kmisc.ko` (`bench/Kbuild`), built for the "
             "benchmark only: the same Rust core on 7.3's unmodified "
             "`kernel::miscdevice`, reading through `read_iter` into an "
             "`iov_iter` (`_copy_to_iter()`) as the kernel's sample does, "
             "where the twin's `rust/miscdevice.rs` reads through `.read` "
             "and the C core's copy (`rust/uaccess.rs`): what the kernel's "
             "own safe abstraction costs. 7.3's `UserSliceWriter` could not "
             "serve instead: its `write_slice()`, `write_slice_partial()` "
             "and `write_slice_file()` (which calls itself the equivalent "
             "of `simple_read_from_buffer()`) fail a copy that faults "
             "part-way as a whole, with `EFAULT`, where C's "
             "`simple_read_from_buffer()` returns the bytes before the "
             "fault. The kernel's registration hands `open` no data, so "
             "that module makes its device per open, as the sample does: "
             "only its reads are compared. "
             "Sizes are `size(1)` of the modules the benchmark loaded; each "
             "C module links its own copy of the core.\n")
    if plot:
        w.append("![C and Rust, per read and per open, as a ratio to "
                 "/dev/zero](%s)\n" % plot)
        w.append("([SVG](%s))\n" % (os.path.splitext(plot)[0] + ".svg"))

    w.extend(api_twins(rusty))

    loc = twin_loc(top)
    w.append("### Lines of code\n")
    w.append("| | lines | of code | files |\n|---|---|---|---|")
    for lang in ("C", "Rust"):
        for role, (n, c, paths) in loc[lang].items():
            w.append("| %s %s | %d | %d | %s |" % (
                lang, role, n, c, ", ".join("`%s`" % p for p in paths)))
    w.append("")
    w.append("Counted from the tree; “of code” leaves out blank lines and "
             "comments (doc comments included); the Rust core's count "
             "stops at its `#[kunit_tests]` module. The C core also holds "
             "the module parameters, which the Rust frontend declares in "
             "`module!`.\n")

    blocks = unsafe_blocks(top)
    w.append("### `unsafe` blocks: %d in the twins\n" % len(blocks))
    w.append("All in `rust/`, the wrappers over `kernel::bindings` (the "
             "core and the frontend have none), each under a "
             "`// SAFETY:` comment; here its first sentence.\n")
    w.append("| where | in | why each holds |\n|---|---|---|")
    groups = []
    for bl in blocks:
        if groups and groups[-1][0]["file"] == bl["file"] and \
                groups[-1][0]["fn"] == bl["fn"]:
            groups[-1].append(bl)
        else:
            groups.append([bl])
    for g in groups:
        w.append("| `%s:%s` | `%s` | %s |" % (
            g[0]["file"], ", ".join(str(bl["line"]) for bl in g),
            g[0]["fn"], " ".join(
                ("%d. " % (i + 1) if len(g) > 1 else "") +
                bl["why"].replace("|", "\\|") for i, bl in enumerate(g))))
    w.append("")

    if src:
        ab = rust_abstractions(src)
        w.append("### What Rust for Linux 7.3 offers each API\n")
        w.append("Read from `linux-source-7.3`: “safe abstraction” when "
                 "the API's files in `rust/kernel/` (listed below) have it; "
                 "else whether the C side is "
                 "declared (not `static inline`) in a header that "
                 "`rust/bindings/bindings_helper.h` includes, so that "
                 "`kernel::bindings` has it.\n")
        w.append("| API | capability | C | in 7.3's Rust | in hellodev's "
                 "`rust/` |\n|---|---|---|---|---|")
        for api in APIS:
            mine = ours(top, api)
            for what, cfun, status in ab[api]["rows"]:
                w.append("| %s | %s | `%s` | %s | %s |" % (
                    api, what, cfun, STATUS[status],
                    "safe abstraction" if mine[what] else "-"))
        w.append("")
        w.append("Files read: " + "; ".join(
            "%s: %s" % (api, ", ".join("`%s`" % f for f in ab[api]["files"])
                        or "no Rust abstraction in `rust/kernel/`")
            for api in APIS) + ". Ours: " + "; ".join(
            "%s: %s" % (api, ", ".join("`%s`" % f for f in OUR_FILES[api]))
            for api in APIS) + ".\n")
    return w




def subtree_calls(node):
    return 1 + sum(subtree_calls(c) for c in node[2])


def tree_lines(node, depth, max_depth, out):
    name, ns, children = node
    out.append("%s%-*s %7s %5d" % (
        "  " * depth, 46 - 2 * depth, name,
        "%.0f" % ns if ns is not None else "?", subtree_calls(node)))
    if depth + 1 < max_depth:
        for c in children:
            tree_lines(c, depth + 1, max_depth, out)


def graphs_section(benches):
    """The function_graph trees of one pread, per kernel with the Rust
    twin: what ftrace can and cannot see of it."""
    w = []
    for b in benches:
        g = b.get("graphs", {})
        if "rust" not in g:
            continue
        w.append("### What ftrace sees, `%s`\n" % b["kernel"])
        w.append("The same `pread` traced with `function_graph` "
                 "(`hellodev_bench -g`; the whole trace is in "
                 "`build/bench/<release>/runs/graph.txt`): instructions "
                 "between entry and return, the tracer's own included "
                 "(about 750 per call), and calls in the subtree. The Rust "
                 "twin's functions are not there: rustc built them without "
                 "the `__fentry__` call that ftrace hooks (C misc's "
                 "`hellodev_read` has one), so its read looks like a few "
                 "instructions inside `vfs_read()`.\n")
        for t in ("misc", "rust"):
            og = g.get(t, {}).get("pread")
            roots = [n for n in (og["tree"] if og else [])
                     if n[0] == "__x64_sys_pread64"]
            if not roots:
                continue
            lines = ["%-46s %7s %5s" % ("function", "traced", "calls")]
            tree_lines(roots[0], 0, 3, lines)
            w.append("pread 13 B, %s:\n" % TARGET_LABEL[t])
            w.append("```\n%s\n```\n" % "\n".join(lines))
    return w


def steps_section(benches):
    """Where the instructions of one warm pread, open and close go, counted
    by gdb on QEMU's gdbstub: per kernel and call, the functions whose
    count differs between C misc, the Rust twin and /dev/zero."""
    w = ["## Where the instructions go\n"]
    w.append("Every instruction from the `syscall` instruction to the "
             "return to user space, of one warm `pread` of 13 B, one "
             "`openat2` and one `close_range` (with its `__fput()`), "
             "single-stepped by gdb on QEMU's gdbstub in one more boot "
             "without KASLR (`hellodev_bench -S`, `bench/steps.py`) and "
             "named with the guest's `/proc/kallsyms`. A step is one "
             "instruction, as in the deterministic mode, whose per-call "
             "figures these totals match but for the benchmark loop's "
             "own instructions. Listed: the functions whose count differs "
             "between the targets, in the order they first ran (module "
             "functions end in `[module]`); every other function runs as "
             "many instructions in each, summed in the last row. Every "
             "function of every call is in `bench.json`.\n")
    for b in benches:
        st = b.get("steps", {})
        if not st:
            continue
        targets = [t for t in ("misc", "rust", "rust_kmisc", "zero")
                   if t in st]
        w.append("### `%s`\n" % b["kernel"])
        for op, label in (("pread", "pread 13 B"), ("open", "open"),
                          ("close", "close")):
            names = []
            counts = {}
            for t in targets:
                for f, n in st[t][op]["functions"]:
                    if f not in names:
                        names.append(f)
                    counts[(t, f)] = counts.get((t, f), 0) + n
            differ = [f for f in names
                      if len({counts.get((t, f), 0) for t in targets}) > 1]
            rest = {t: st[t][op]["total"] - sum(counts.get((t, f), 0)
                                               for f in differ)
                    for t in targets}
            w.append("%s:\n" % label)
            w.append("| function | %s |\n|---|%s" % (
                " | ".join(TARGET_LABEL[t] for t in targets),
                "---|" * len(targets)))
            w.append("| **all** | %s |" % " | ".join(
                "**%d**" % st[t][op]["total"] for t in targets))
            for f in differ:
                w.append("| `%s` | %s |" % (f.replace("|", "\\|"), " | ".join(
                    str(counts.get((t, f), "")) for t in targets)))
            w.append("| %d other functions, the same in each | %s |" % (
                len(names) - len(differ),
                " | ".join(str(rest[t]) for t in targets)))
            w.append("")
    return w


def c_rust_plot_data(benches, path):
    """Rows: figures; columns: C misc and, where the kernel has Rust, the
    twin and its .read variant, per kernel, as ratios to /dev/zero of the
    same boot."""
    cols = []
    for b in benches:
        for t, lang in (("misc", "C misc"), ("rust", "Rust twin"),
                        ("rust_kmisc", "Rust on kernel::miscdevice")):
            if fig(b, t, "pread/13/0") is None:
                continue
            cols.append((b, t, "%s, %s" % (lang, b["kernel"].split("-")[0]
                                           .split("+")[0])))
    with open(path, "w", encoding="utf-8") as f:
        f.write("figure " + " ".join('"%s"' % c[2] for c in cols) + "\n")
        for key, label in (("pread/13/0", "pread 13 B"),
                           ("pread/4096/0", "pread 4096 B"),
                           ("orc/13/0", "open+read+close"),
                           ("orc_at/13/0", "openat+read+close")):
            cells = []
            for b, t, _ in cols:
                # The kernel's registration makes that module's device per
                # open: only its reads compare.
                r = ratio(b, t, key, "zero") if t != "rust_kmisc" or \
                    key.startswith("pread") else None
                cells.append("%.4f" % r if r is not None else "NaN")
            f.write('"%s" %s\n' % (label, " ".join(cells)))


def load_benches(paths):
    benches = []
    for p in paths:
        with open(p, encoding="utf-8") as f:
            benches.append(json.load(f))
    benches.sort(key=lambda b: [int(x) if x.isdigit() else x
                                for x in re.split(r"[.-]", b["kernel"])])
    return benches


def det(bench):
    return bench["modes"].get("deterministic")


def fig(bench, target, key):
    d = det(bench)
    if not d:
        return None
    return d["figures"].get("%s/%s" % (target, key))


def ratio(bench, target, key, base):
    d = det(bench)
    if not d:
        return None
    r = d["ratios"].get("%s/%s:%s" % (target, key, base))
    return r["median"] if r else None


def cost(bench, target, key):
    """'634 ns, 0.94x /dev/zero' from the deterministic figures."""
    f = fig(bench, target, key)
    if not f:
        return "-"
    out = "%.0f ns" % f["median"]
    rz = ratio(bench, target, key, "zero")
    if rz is not None:
        out += ", %.3f× /dev/zero" % rz
    return out


def allocs(bench, target):
    by = {(a["target"], a["op"]): a for a in bench.get("allocs", [])}
    cells = []
    for op in ("open", "read"):
        a = by.get((target, op))
        z = by.get(("zero", op))
        if not a:
            cells.append("%s: -" % op)
            continue
        cells.append("%s: %g from the module, %.2f in all (/dev/zero %.2f)"
                     % (op, round(a["module_per_op"], 3), a["total_per_op"],
                        z["total_per_op"] if z else float("nan")))
    return "; ".join(cells)


def scaling(bench, target):
    """Wall-clock calls/s of 1 reader, 2 on their own fds, 2 on one fd."""
    wl = bench["modes"].get("wallclock")
    if not wl:
        return "not run"
    cells = []
    for key, label in (("scale1", "1 thread"),
                       ("scale2own", "2 threads, own fds"),
                       ("scale2shared", "2 threads, one fd")):
        f = wl["figures"].get("%s/%s/13/0" % (target, key))
        cells.append("%s %s" % (label, "%.0f" % f["median"] if f else "-"))
    return "; ".join(cells) + " (median)"


def api_rows(bench, api, facts):
    f = facts[api]
    setup = ", ".join("`%s()`" % c for c in f["setup"])
    undo = ", ".join("`%s()`" % c for c in f["undo"])
    rows = [
        ("registration calls", "set up with %d function%s: %s; undone "
         "with %d: %s" % (len(f["setup"]), "s" if len(f["setup"]) > 1
                          else "", setup, len(f["undo"]), undo)),
    ]
    for k in ("node creation", "default permissions", "device numbers",
              "unload while open", "lockdown"):
        rows.append((k, FACTS[api][k]))
    loc = "%d lines, %d of code (`variants/%s.c`)" % (f["lines"], f["code"],
                                                      api)
    if f["compat"]:
        loc += ", plus `variants/compat.h`"
    rows.append(("lines of frontend code", loc))
    targets = [api] + (["debugfs_proxy"] if api == "debugfs" else [])
    for t in targets:
        sfx = ""
        if api == "debugfs":
            sfx = (" (full proxy)" if t == "debugfs_proxy" else
                   " (default: no full proxy)")
        for size in (13, 256, 4096):
            rows.append(("per read: pread %d B%s" % (size, sfx),
                         cost(bench, t, "pread/%d/0" % size)))
        for log in (0, 1):
            rows.append(("per open: open+read+close, log_opens=%d%s"
                         % (log, sfx), cost(bench, t, "orc/13/%d" % log)))
        rows.append(("per open: openat(dirfd)+read+close, log_opens=0" + sfx,
                     cost(bench, t, "orc_at/13/0")))
        rows.append(("allocations per op" + sfx, allocs(bench, t)))
        rows.append(("pread 13 B calls/s, wall-clock" + sfx,
                     scaling(bench, t)))
    return rows


def kernel_table(header, rows_by_bench):
    """rows_by_bench: one list of (name, value) per kernel, same names. A
    row that is the same on every kernel is one line of a list, and so is
    a row that only one kernel has (the others' cells start "n/a"), under
    that kernel; the rows that differ are a table, one column per kernel."""
    same, differ, only = [], [], {}
    for i, (name, _) in enumerate(rows_by_bench[0]):
        cells = [rows[i][1] for rows in rows_by_bench]
        has = [j for j, c in enumerate(cells) if not c.startswith("n/a")]
        if len(set(cells)) == 1:
            same.append("- %s: %s" % (name, cells[0]))
        elif len(has) == 1 and len(cells) > 1:
            only.setdefault(has[0], []).append(
                "- %s: %s" % (name, cells[has[0]]))
        else:
            differ.append("| %s | %s |" % (name, " | ".join(cells)))
    out = []
    if same:
        if len(rows_by_bench) == 1:
            out.append("On %s:\n" % header[0])
        elif differ or only:
            out.append("On every kernel:\n")
        out.extend(same)
        out.append("")
    if differ:
        out.append("| | %s |" % " | ".join(header))
        out.append("|---|" + "---|" * len(header))
        out.extend(differ)
        out.append("")
    for j in sorted(only):
        out.append("On %s only (the others have no Rust):\n" % header[j])
        out.extend(only[j])
        out.append("")
    return "\n".join(out).strip("\n")


def per_kernel(values):
    """One figure per kernel as 'a / b / c', or one if they agree."""
    if len(set(values)) == 1:
        return values[0]
    return " / ".join(values)


def answer_section(benches, top, facts):
    """The first screen: what each API and each language costs and gives."""
    kernels = [b["kernel"] for b in benches]
    w = ["## The answer\n"]
    w.append("Deterministic mode, the same boot for every ratio; a cell "
             "with one figure per kernel reads %s.\n"
             % " / ".join("`%s`" % k for k in kernels))
    cols = ["pread 13 B", "open+read+close", "openat(dirfd)+read+close",
            "open+read+close, log_opens=1",
            "allocations per open, per read, from the module",
            "set-up calls", "frontend lines of code"]
    w.append("| ×&nbsp;/dev/zero | %s |" % " | ".join(cols))
    w.append("|---|" + "---|" * len(cols))
    # The Rust twins: their registration calls, all in rust/, and file.
    twins = {"rust": ("1 (`misc_register()`, in `rust/miscdevice.rs`)",
                      "rust_misc"),
             "rust_cdev": ("4 (in `rust/chrdev.rs`), undone by 4",
                           "rust_cdev"),
             "rust_debugfs": ("3 (in `rust/debugfs.rs`), undone by 1",
                              "rust_debugfs"),
             "rust_debugfs_proxy": ("3 (in `rust/debugfs.rs`), undone by 1",
                                    "rust_debugfs")}
    for t in ("misc", "cdev", "debugfs", "debugfs_proxy", "rust",
              "rust_cdev", "rust_debugfs", "rust_debugfs_proxy"):
        cells = []
        for key in ("pread/13/0", "orc/13/0", "orc_at/13/0", "orc/13/1"):
            vals = []
            for b in benches:
                r = ratio(b, t, key, "zero")
                vals.append("%.2f" % r if r is not None else "–")
            cells.append(per_kernel(vals))
        vals = []
        for b in benches:
            by = {(a["target"], a["op"]): a for a in b.get("allocs", [])}
            ops = [by.get((t, op)) for op in ("open", "read")]
            vals.append(", ".join("%g" % round(a["module_per_op"], 3)
                                  if a else "–" for a in ops))
        cells.append(per_kernel(vals))
        api = t.split("_")[0]
        if t in twins:
            calls, src = twins[t]
            n = count_lines(os.path.join(top, "variants/%s.rs" % src))[1]
            cells += [calls, "%d (`variants/%s.rs`)" % (n, src)]
        else:
            f = facts[api]
            cells += ["%d, undone by %d" % (len(f["setup"]), len(f["undo"])),
                      "%d (`variants/%s.c`)" % (f["code"], api)]
        w.append("| %s | %s |" % (TARGET_LABEL[t], " | ".join(cells)))
    w.append("")
    w.append("open+read+close opens by full path: debugfs' walks "
             "`/sys/kernel/debug/<name>/`, where `openat()` on the "
             "directory does not; logging each open (the default) is one "
             "`printk()` per open. Module parameters, behaviour and errors "
             "are the same through every frontend (README).\n")
    met = unmet = 0
    misses = []
    for b in benches:
        for g in b.get("goals", []):
            if g["met"]:
                met += 1
            else:
                unmet += 1
                v = g["value"]
                misses.append("%s on `%s` (%s)" % (
                    g["goal"].replace("<=", "≤"), b["kernel"],
                    "%.4f" % v if isinstance(v, float) else v))
    w.append("Targets: %d met, %d not met%s. The sections below give each "
             "API's facts and figures, each Rust twin beside its C twin, and "
             "where the instructions go.\n"
             % (met, unmet, (": " + "; ".join(misses)) if misses else ""))
    return w


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--top", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--plot", action="append", default=[],
                    help="RELEASE=FILE, the plot's path relative to --out")
    ap.add_argument("--src73", help="linux-source-7.3 tree, for what its "
                    "Rust offers")
    ap.add_argument("--c-rust-plot", help="the C and Rust plot, relative "
                    "to --out")
    ap.add_argument("--c-rust-data", help="gnuplot data to write for it")
    ap.add_argument("bench", nargs="+")
    args = ap.parse_args()

    benches = load_benches(args.bench)
    plots = dict(p.split("=", 1) for p in args.plot)
    facts = {a: frontend_facts(args.top, a) for a in APIS}
    kernels = ["`%s`" % b["kernel"] for b in benches]
    w = []
    w.append("# misc, cdev and debugfs compared, in C and in Rust\n")
    w.append("Generated by `make report` (`scripts/report.sh`) from "
             "`build/bench/*/bench.json`, which `make bench` writes, and "
             "from the tree; do not edit. What is the same on every kernel "
             "is said once; a table has one column per kernel only for "
             "what differs.\n")
    w.extend(answer_section(benches, args.top, facts))
    w.append("## How it was measured\n")
    w.append("Costs are from the deterministic mode: QEMU TCG with "
             "`-icount shift=0,sleep=off`, one vCPU, so a guest "
             "nanosecond is one instruction, and every figure is the "
             "median over batches, then over boots. Ratios compare "
             "figures of the same boot. “open+read+close” is "
             "`open()`, one `read()` of the 13-byte text, a `read()` "
             "that returns 0 (end of file; on /dev/zero a `read()` of 0 "
             "bytes, on /dev/null the first read already returns 0), "
             "`close()`. The wall-clock figures (QEMU's multi-threaded "
             "TCG, 2 vCPUs) depend on the host and its load; see "
             "`build/bench/<release>/bench.json` for p10/p90/p99.\n")
    runs = []
    for b in benches:
        d = det(b)
        wl = b["modes"].get("wallclock")
        runs.append(("QEMU %s on %s (host kernel %s)"
                     % (b["qemu"], b["host_cpu"], b.get("host_kernel", "?")),
                     "guest: `%s`, %s, clock source %s"
                     % (b.get("kernel_version", "?"), b.get("guest_cpu", "?"),
                        b.get("guest_clocksource", "?")),
                     "deterministic: %d boots, %s"
                     % (d["boots"] if d else 0,
                        " ".join(d["qemu_flags"]) if d else "not run"),
                     "wall-clock: %s" % (" ".join(wl["qemu_flags"])
                                         if wl else "not run")))
    for i, what in enumerate(("host", "guest", "deterministic",
                              "wall-clock")):
        vals = [r[i] for r in runs]
        if len(set(vals)) == 1:
            w.append("- %s, every kernel." % vals[0])
        else:
            w.append("- " + "; ".join("`%s`: %s" % (b["kernel"], v)
                                      for b, v in zip(benches, vals)) + ".")
    w.append("")
    for api in APIS:
        w.append("## %s (`%s`)\n" % (api, MODULE[api]))
        w.append(kernel_table(kernels, [api_rows(b, api, facts) for b in benches]))
        w.append("")

    w.append("## Baselines and targets\n")
    base_rows = []
    goal_names = []
    for b in benches:
        for g in b.get("goals", []):
            if g["goal"] not in goal_names:
                goal_names.append(g["goal"])
    for b in benches:
        rows = []
        for t in ("zero", "null"):
            for key, label in (("pread/13/0", "pread 13 B"),
                               ("pread/4096/0", "pread 4096 B"),
                               ("orc/13/0", "open+read+close")):
                f = fig(b, t, key)
                rows.append(("%s, %s" % (TARGET_LABEL[t], label),
                             "%.0f ns" % f["median"] if f else "-"))
        by_goal = {g["goal"]: g for g in b.get("goals", [])}
        for name in goal_names:
            g = by_goal.get(name)
            label = "target: " + name.replace("<=", "≤").replace(
                "x /dev", "× /dev").replace("x misc", "× misc")
            if g is None:
                rows.append((label, "n/a (no Rust in this kernel)"))
                continue
            v = g["value"]
            if v is None:
                val = "-"
            elif isinstance(v, float) and g["key"].startswith("allocs"):
                val = "%g" % round(v, 3)
            else:
                val = "%.4f×" % v
            rows.append((label, "%s, %s" % (val, "met" if g["met"]
                                            else "**not met**")))
        base_rows.append(rows)
    w.append(kernel_table(kernels, base_rows))
    w.append("")
    ops = sorted({a["ops"] for b in benches for a in b.get("allocs", [])})
    events = sorted({e for b in benches for e in b.get("alloc_events", [])})
    w.append("Allocations are counted with hist triggers on the %s "
             "tracepoints while a child process does %s opens (open + "
             "close) or as many preads: “from the module” counts call "
             "sites inside a hellodev module's address range "
             "(`/proc/modules`; checked against `hellodev_read`, or the "
             "Rust modules' `read` or `read_iter`, in `/proc/kallsyms`), "
             "“in all” "
             "everything that process "
             "allocated; slab pages (`mm_page_alloc`) have no call site "
             "and count only in all.\n"
             % (", ".join("`%s`" % e for e in events),
                " or ".join(str(o) for o in ops)))

    w.extend(c_and_rust(benches, args.top, args.src73, args.c_rust_plot))
    if args.c_rust_data:
        c_rust_plot_data(benches, args.c_rust_data)
    w.extend(steps_section(benches))
    w.extend(graphs_section(benches))

    w.append("## Per-call latency\n")
    for b in benches:
        p = plots.get(b["kernel"])
        if p:
            w.append("![per-call latency, %s](%s)\n" % (b["kernel"], p))
            w.append("([SVG](%s))\n" % (os.path.splitext(p)[0] + ".svg"))
    with open(args.out, "w", encoding="utf-8") as f:
        f.write("\n".join(w).rstrip() + "\n")


if __name__ == "__main__":
    sys.exit(main())
