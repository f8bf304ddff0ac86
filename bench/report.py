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
    "debugfs_proxy": "debugfs full proxy", "zero": "/dev/zero",
    "null": "/dev/null",
}


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


def table(header, rows_by_bench):
    """rows_by_bench: one list of (name, value) per kernel, same names."""
    out = ["| | %s |" % " | ".join(header),
           "|---|" + "---|" * len(header)]
    for i, (name, _) in enumerate(rows_by_bench[0]):
        cells = [rows[i][1] for rows in rows_by_bench]
        out.append("| %s | %s |" % (name, " | ".join(cells)))
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--top", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--plot", action="append", default=[],
                    help="RELEASE=FILE, the plot's path relative to --out")
    ap.add_argument("bench", nargs="+")
    args = ap.parse_args()

    benches = load_benches(args.bench)
    plots = dict(p.split("=", 1) for p in args.plot)
    facts = {a: frontend_facts(args.top, a) for a in APIS}
    kernels = ["`%s`" % b["kernel"] for b in benches]
    w = []
    w.append("# misc, cdev and debugfs compared\n")
    w.append("Generated by `make report` (`scripts/report.sh`) from "
             "`build/bench/*/bench.json`, which `make bench` writes, and "
             "from the tree; do not edit. One column per kernel.\n")
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
    for b in benches:
        d = det(b)
        wl = b["modes"].get("wallclock")
        w.append("- `%s`: QEMU %s on %s; deterministic: %d boots, "
                 "%s; wall-clock: %s.\n"
                 % (b["kernel"], b["qemu"], b["host_cpu"],
                    d["boots"] if d else 0,
                    " ".join(d["qemu_flags"]) if d else "not run",
                    " ".join(wl["qemu_flags"]) if wl else "not run"))
    w.append("")
    for api in APIS:
        w.append("## %s (`%s`)\n" % (api, MODULE[api]))
        w.append(table(kernels, [api_rows(b, api, facts) for b in benches]))
        w.append("")

    w.append("## Baselines and targets\n")
    base_rows = []
    for b in benches:
        rows = []
        for t in ("zero", "null"):
            for key, label in (("pread/13/0", "pread 13 B"),
                               ("pread/4096/0", "pread 4096 B"),
                               ("orc/13/0", "open+read+close")):
                f = fig(b, t, key)
                rows.append(("%s, %s" % (TARGET_LABEL[t], label),
                             "%.0f ns" % f["median"] if f else "-"))
        for g in b.get("goals", []):
            v = g["value"]
            if v is None:
                val = "-"
            elif isinstance(v, float) and g["key"].startswith("allocs"):
                val = "%g" % round(v, 3)
            else:
                val = "%.4f×" % v
            rows.append(("target: " + g["goal"].replace("<=", "≤")
                         .replace("x /dev", "× /dev").replace("x misc",
                                                               "× misc"),
                         "%s, %s" % (val, "met" if g["met"] else "**not met**")))
        base_rows.append(rows)
    w.append(table(kernels, base_rows))
    w.append("")
    ops = sorted({a["ops"] for b in benches for a in b.get("allocs", [])})
    events = sorted({e for b in benches for e in b.get("alloc_events", [])})
    w.append("Allocations are counted with hist triggers on the %s "
             "tracepoints while a child process does %s opens (open + "
             "close) or as many preads: “from the module” counts call "
             "sites inside a hellodev module's address range "
             "(`/proc/modules`; checked against `hellodev_read` in "
             "`/proc/kallsyms`), “in all” everything that process "
             "allocated; slab pages (`mm_page_alloc`) have no call site "
             "and count only in all.\n"
             % (", ".join("`%s`" % e for e in events),
                " or ".join(str(o) for o in ops)))

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
