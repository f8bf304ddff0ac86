#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
# Combine the JSON of hellodev_bench boots (deterministic and wall-clock) into
# build/bench/<release>/bench.json, print the table with ratios to /dev/zero
# and /dev/null, write the plot's data, and for --smoke check every figure.
"""Aggregate hellodev_bench results; see scripts/bench.sh."""

import argparse
import json
import math
import os
import re
import statistics
import subprocess
import sys

TARGETS = ["misc", "cdev", "debugfs", "debugfs_proxy", "rust", "rust_kmisc",
           "rust_cdev", "rust_debugfs", "rust_debugfs_proxy", "zero", "null"]
MODULES = TARGETS[:9]
RUST = ("rust", "rust_kmisc", "rust_cdev", "rust_debugfs",
        "rust_debugfs_proxy")
# Each Rust twin and the C frontend it is measured against, in the same boot.
C_TWIN = {"rust": "misc", "rust_kmisc": "misc", "rust_cdev": "cdev",
          "rust_debugfs": "debugfs", "rust_debugfs_proxy": "debugfs_proxy"}
SIZES = [13, 256, 4096]
LABEL = {
    "misc": "misc",
    "cdev": "cdev",
    "debugfs": "debugfs",
    "debugfs_proxy": "debugfs full_proxy",
    "rust": "rust (misc)",
    "rust_kmisc": "rust on kernel::miscdevice",
    "rust_cdev": "rust (cdev)",
    "rust_debugfs": "rust (debugfs)",
    "rust_debugfs_proxy": "rust (debugfs full_proxy)",
    "zero": "/dev/zero",
    "null": "/dev/null",
}
# Latency figures: (key, label). Keys are figure/size/log.
LATENCY = [("pread/%d/0" % s, "pread %d B" % s) for s in SIZES] + [
    ("orc/13/0", "open+read+EOF+close, log_opens=0"),
    ("orc/13/1", "open+read+EOF+close, log_opens=1"),
    ("orc_at/13/0", "openat(dirfd)+read+EOF+close, log_opens=0"),
    ("orc_at/13/1", "openat(dirfd)+read+EOF+close, log_opens=1"),
]
PLOT_LABEL = {
    "pread/13/0": "13 B", "pread/256/0": "256 B", "pread/4096/0": "4096 B",
    "orc/13/0": "open\\nlog_opens=0", "orc/13/1": "open\\nlog_opens=1",
    "orc_at/13/0": "openat\\nlog_opens=0",
    "orc_at/13/1": "openat\\nlog_opens=1",
}
SCALING = [
    ("scale1/13/0", "1 thread"),
    ("scale2own/13/0", "2 threads, own fds"),
    ("scale2shared/13/0", "2 threads, shared fd"),
]


def key_of(group):
    return "%s/%s/%d/%d" % (group["target"], group["figure"], group["size"],
                            group["log"])


def baseline_key(key, base):
    """The /dev/zero or /dev/null figure a target's figure compares with:
    the same figure and size; baselines have no log, so log_opens=0."""
    _, fig, size, _ = key.split("/")
    return "%s/%s/%s/0" % (base, fig, size)


def percentile(values, p):
    """Nearest-rank percentile of a non-empty list."""
    v = sorted(values)
    rank = max(1, math.ceil(p / 100.0 * len(v)))
    return v[rank - 1]


def load(paths):
    boots = []
    for path in paths:
        with open(path, encoding="utf-8") as f:
            boots.append(json.load(f))
    return boots


def boot_medians(boot):
    return {key_of(g): statistics.median(g["values"])
            for g in boot["groups"] if g["values"]}


def deterministic(boots):
    """Median of each figure per boot; the figure is the median of the boot
    medians, its spread (max - min) / median across boots."""
    per_boot = [boot_medians(b) for b in boots]
    keys = sorted(set().union(*per_boot)) if per_boot else []
    figures = {}
    for k in keys:
        vals = [m[k] for m in per_boot if k in m]
        med = statistics.median(vals)
        figures[k] = {
            "median": med,
            "boots": vals,
            "spread_pct": 100.0 * (max(vals) - min(vals)) / med if med else 0,
        }
    ratios = {}
    for k in keys:
        for base in ("zero", "null"):
            bk = baseline_key(k, base)
            if k.startswith(base + "/") or bk not in keys:
                continue
            r = [m[k] / m[bk] for m in per_boot if k in m and bk in m]
            ratios["%s:%s" % (k, base)] = {
                "median": statistics.median(r),
                "boots": r,
                "min": min(r),
                "max": max(r),
            }
        # debugfs and the Rust twins against C misc, and each Rust twin
        # against its C twin, in the same boot.
        t = k.split("/", 1)[0]
        against = set()
        if t.startswith("debugfs") or t in ("rust", "rust_kmisc"):
            against.add("misc")
        if t in C_TWIN:
            against.add(C_TWIN[t])
        for c in sorted(against):
            ck = c + "/" + k.split("/", 1)[1]
            if ck in keys:
                r = [m[k] / m[ck] for m in per_boot if k in m and ck in m]
                ratios["%s:%s" % (k, c)] = {"median": statistics.median(r),
                                            "boots": r, "min": min(r),
                                            "max": max(r)}
    return figures, ratios


def wallclock(boots):
    """Every batch of every round and boot: median, p10, p90, p99."""
    values = {}
    for b in boots:
        for g in b["groups"]:
            values.setdefault(key_of(g), []).extend(g["values"])
    figures = {}
    for k, v in sorted(values.items()):
        if not v:
            continue
        figures[k] = {
            "n": len(v),
            "median": statistics.median(v),
            "p10": percentile(v, 10),
            "p90": percentile(v, 90),
            "p99": percentile(v, 99),
        }
    ratios = {}
    for k in figures:
        for base in ("zero", "null"):
            bk = baseline_key(k, base)
            if k.startswith(base + "/") or bk not in figures:
                continue
            ratios["%s:%s" % (k, base)] = {
                "median": figures[k]["median"] / figures[bk]["median"]}
    return figures, ratios


def allocations(boot, events):
    """Per target and op: allocations per op in total (the process doing the
    ops, every call site) and from a call site inside a hellodev module."""
    out = []
    for a in boot.get("allocs", []):
        ops = a["ops"]
        out.append({
            "target": a["target"],
            "op": a["op"],
            "ops": ops,
            "total_per_op": sum(a["total"]) / ops,
            "module_per_op": sum(a["module"]) / ops,
            "by_event_total": {e: n / ops for e, n in zip(events, a["total"])},
            "by_event_module": {e: n / ops
                                for e, n in zip(events, a["module"])},
            "sites": [{"event": s["event"], "site": s["site"],
                       "per_op": s["n"] / ops} for s in a["sites"]],
        })
    return out


# The targets: (description, ratio key, limit); those of the Rust twin
# apply where it was measured.
GOALS = [
    ("pread 13 B, misc <= 0.96x /dev/zero", "misc/pread/13/0:zero", 0.96),
    ("pread 13 B, cdev <= 0.96x /dev/zero", "cdev/pread/13/0:zero", 0.96),
    ("pread 13 B, debugfs (default) <= 1.01x misc", "debugfs/pread/13/0:misc",
     1.01),
    ("open+read+close, log_opens=0, misc <= 1.03x /dev/zero",
     "misc/orc/13/0:zero", 1.03),
    ("open+read+close, log_opens=0, cdev <= 1.03x /dev/zero",
     "cdev/orc/13/0:zero", 1.03),
    ("openat(dirfd)+read+close, log_opens=0, debugfs (default) <= 1.00x misc",
     "debugfs/orc_at/13/0:misc", 1.00),
    ("pread 13 B, rust <= 1.00x /dev/zero", "rust/pread/13/0:zero", 1.00),
    ("pread 13 B, rust <= 1.07x misc", "rust/pread/13/0:misc", 1.07),
    ("pread 256 B, rust <= 1.00x misc", "rust/pread/256/0:misc", 1.00),
    ("pread 4096 B, rust <= 1.00x misc", "rust/pread/4096/0:misc", 1.00),
    ("open+read+close, log_opens=0, rust <= 1.03x /dev/zero",
     "rust/orc/13/0:zero", 1.03),
    # The other twins at their C twins' cost, as the misc one.
    ("pread 13 B, rust_cdev <= 1.07x cdev", "rust_cdev/pread/13/0:cdev",
     1.07),
    ("pread 4096 B, rust_cdev <= 1.00x cdev", "rust_cdev/pread/4096/0:cdev",
     1.00),
    ("pread 13 B, rust_debugfs <= 1.07x debugfs",
     "rust_debugfs/pread/13/0:debugfs", 1.07),
    ("pread 4096 B, rust_debugfs <= 1.00x debugfs",
     "rust_debugfs/pread/4096/0:debugfs", 1.00),
    ("open+read+close, log_opens=0, rust_cdev <= 1.03x cdev",
     "rust_cdev/orc/13/0:cdev", 1.03),
    ("open+read+close, log_opens=0, rust_debugfs <= 1.03x debugfs",
     "rust_debugfs/orc/13/0:debugfs", 1.03),
]


def goals(det_ratios, allocs):
    out = []
    rust = any(x["target"] == "rust" for x in allocs)
    for desc, key, limit in GOALS:
        if key.split("/", 1)[0] in RUST and not rust:
            continue
        r = det_ratios.get(key)
        if r is None:
            out.append({"goal": desc, "key": key, "limit": limit,
                        "value": None, "met": False})
            continue
        out.append({"goal": desc, "key": key, "limit": limit,
                    "value": r["median"], "worst_boot": r["max"],
                    "met": r["max"] <= limit})
    for t in ("misc", "cdev") + (("rust", "rust_cdev") if rust else ()):
        for op in ("open", "read"):
            a = [x for x in allocs if x["target"] == t and x["op"] == op]
            v = a[0]["module_per_op"] if a else None
            out.append({"goal": "0 allocations per %s from the %s module"
                                % (op, t),
                        "key": "allocs/%s/%s" % (t, op), "limit": 0,
                        "value": v, "met": v == 0})
    return out


GRAPH_LINE = re.compile(
    r"^\s*\d+\)\s*(?:[-+!#*@$]\s*)?(?:([\d.]+) us\s*)?\|(\s*)(.*)$")


def parse_graphs(path):
    """The function_graph traces of hellodev_bench -g: per target and op
    (pread),
    the call tree as nested [name, ns, children], ns being instructions
    under -icount (the tracer's own included), and the calls in all."""
    graphs = {}
    if not path or not os.path.exists(path):
        return graphs
    cur = None
    stack = []
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            if line.startswith("@@graph "):
                _, target, op = line.split()
                cur = graphs.setdefault(target, {}).setdefault(
                    op, {"tree": [], "calls": 0})
                stack = [cur["tree"]]
                continue
            m = GRAPH_LINE.match(line)
            if not m or cur is None:
                continue
            dur, text = m.group(1), m.group(3).strip()
            ns = float(dur) * 1000 if dur else None
            if text.endswith("() {"):
                node = [text[:-4], None, []]
                stack[-1].append(node)
                stack.append(node[2])
                cur["calls"] += 1
            elif text.endswith("();"):
                stack[-1].append([text[:-3], ns, []])
                cur["calls"] += 1
            elif text.startswith("}") and len(stack) > 1:
                stack.pop()
                parent = stack[-1][-1]
                parent[1] = ns
    return graphs


def demangle(names):
    """Rust v0 names demangled by binutils' c++filt, crate hashes left out."""
    if not names:
        return {}
    out = subprocess.run(["c++filt"], input="\n".join(names), check=True,
                         capture_output=True, text=True).stdout.splitlines()
    return {n: re.sub(r"\[[0-9a-f]+\]", "", d) for n, d in zip(names, out)}


def load_symbols(kallsyms, guest_out):
    """Sorted (address, name) of the kernel's text (a gzipped kallsyms of a
    boot without KASLR; without it, kernel addresses have no name) and of
    the hellodev modules (the @@sym lines of hellodev_bench -S)."""
    import gzip
    syms = []
    if kallsyms and os.path.exists(kallsyms):
        with gzip.open(kallsyms, "rt", encoding="utf-8",
                       errors="replace") as f:
            for line in f:
                parts = line.split()
                if len(parts) >= 3 and "[" not in line:
                    syms.append((int(parts[0], 16), parts[2]))
    order = []
    mods = []
    with open(guest_out, encoding="utf-8", errors="replace") as f:
        for line in f:
            if line.startswith("@@sym "):
                parts = line.split()
                if len(parts) >= 5 and parts[2] in "tT":
                    mods.append((int(parts[1], 16), parts[3], parts[4]))
            elif line.startswith("@@steps-order "):
                order = line.split()[1:]
    names = demangle([n for _, n, _ in mods if n.startswith("_R")])
    syms.extend((a, "%s %s" % (names.get(n, n), m)) for a, n, m in mods)
    syms.sort()
    return syms, order


SYSCALL_NR = {437: "openat2", 17: "pread64", 436: "close_range"}


def parse_steps(pcs_path, guest_out, kallsyms):
    """Per target and op (the warm pread, open and close that hellodev_bench
    -S makes), every instruction from the syscall instruction to the return
    to user space: total, and per function in order of first execution."""
    if not (pcs_path and os.path.exists(pcs_path) and guest_out and
            os.path.exists(guest_out)):
        return {}
    import bisect
    with open(pcs_path, encoding="utf-8") as f:
        records = json.load(f)
    syms, order = load_symbols(kallsyms, guest_out)
    addrs = [a for a, _ in syms]
    # Per target: open+close, open+close, open, pread x3, close.
    per = 9
    pick = {"open": 2, "close": 3, "pread": 7}
    out = {}
    for ti, target in enumerate(order):
        recs = records[ti * per:(ti + 1) * per]
        if len(recs) < per:
            break
        out[target] = {}
        for op, k in pick.items():
            funcs = {}
            for at in recs[k]["pcs"]:
                i = bisect.bisect_right(addrs, at) - 1
                name = syms[i][1] if i >= 0 else "kernel (no symbols)"
                funcs[name] = funcs.get(name, 0) + 1
            out[target][op] = {"entry": SYSCALL_NR.get(recs[k]["nr"], "?"),
                               "total": len(recs[k]["pcs"]),
                               "functions": list(funcs.items())}
    return out


def ko_sizes(paths):
    """Berkeley sizes (text, data, bss) of each module, by module name."""
    if not paths:
        return {}
    out = subprocess.run(["size", *paths], check=True, capture_output=True,
                         text=True).stdout.splitlines()
    sizes = {}
    for line in out[1:]:
        text, data, bss, _, _, path = line.split(None, 5)
        sizes[os.path.basename(path)[:-3]] = {
            "text": int(text), "data": int(data), "bss": int(bss)}
    return sizes


def fmt_ns(v):
    return "%.1f" % v if v < 10000 else "%.0f" % v


def print_table(res, out):
    det = res["modes"].get("deterministic")
    wall = res["modes"].get("wallclock")
    w = out.write
    w("hellodev benchmark, kernel %s, QEMU %s, host CPU %s\n"
      % (res["kernel"], res["qemu"], res["host_cpu"]))
    if det:
        w("\nDeterministic mode (%s): guest ns per call = instructions; "
          "median of %d boots, spread = (max-min)/median over boots\n"
          % (" ".join(det["qemu_flags"]), det["boots"]))
    if wall:
        w("Wall-clock mode (%s): median [p10 p90 p99] over %d batches "
          "(rounds x batches)\n"
          % (" ".join(wall["qemu_flags"]),
             max(f["n"] for f in wall["figures"].values())))
    for key, label in LATENCY:
        w("\n%s\n" % label)
        w("  %-19s %10s %7s %7s %7s %7s | %10s %10s %10s %10s %7s\n"
          % ("target", "det ns", "spread", "/zero", "/null", "/misc",
             "wall ns", "p10", "p90", "p99", "/zero"))
        for t in TARGETS:
            k = "%s/%s" % (t, key)
            d = det["figures"].get(k) if det else None
            wl = wall["figures"].get(k) if wall else None
            if not d and not wl:
                continue
            row = "  %-19s " % LABEL[t]
            if d:
                rz = det["ratios"].get(k + ":zero")
                rn = det["ratios"].get(k + ":null")
                rm = det["ratios"].get(k + ":misc")
                row += "%10s %6.2f%% %7s %7s %7s " % (
                    fmt_ns(d["median"]), d["spread_pct"],
                    "%.3f" % rz["median"] if rz else "-",
                    "%.3f" % rn["median"] if rn else "-",
                    "%.3f" % rm["median"] if rm else "-")
            else:
                row += "%10s %7s %7s %7s %7s " % ("-", "-", "-", "-", "-")
            if wl:
                rz = wall["ratios"].get(k + ":zero")
                row += "| %10s %10s %10s %10s %7s" % (
                    fmt_ns(wl["median"]), fmt_ns(wl["p10"]),
                    fmt_ns(wl["p90"]), fmt_ns(wl["p99"]),
                    "%.3f" % rz["median"] if rz else "-")
            w(row.rstrip() + "\n")
    if wall:
        w("\nScaling (wall-clock, pread 13 B): calls/s, median [p10 p90]\n")
        w("  %-19s %26s %26s %26s\n" % ("target", "1 thread",
                                         "2 threads, own fds",
                                         "2 threads, shared fd"))
        for t in TARGETS:
            cells = []
            for key, _ in SCALING:
                f = wall["figures"].get("%s/%s" % (t, key))
                cells.append("%.0f [%.0f %.0f]" % (f["median"], f["p10"],
                                                   f["p90"]) if f else "-")
            w("  %-19s %26s %26s %26s\n" % (LABEL[t], *cells))
    w("\nAllocations per operation (kmem and percpu tracepoints, %d ops): "
      "from a hellodev call site / in total by the process\n"
      % (res["allocs"][0]["ops"] if res["allocs"] else 0))
    for a in res["allocs"]:
        sites = ", ".join("%s %s %.2f" % (s["event"], s["site"], s["per_op"])
                          for s in a["sites"]) or "none"
        w("  %-19s %-5s module %.3f  total %.3f  (%s)\n"
          % (LABEL[a["target"]], a["op"], a["module_per_op"],
             a["total_per_op"], sites))
    if res["goals"]:
        w("\nThe issue's targets (deterministic, median over boots; met only "
          "if every boot meets it):\n")
        for g in res["goals"]:
            v = g["value"]
            vs = "-" if v is None else ("%.4f" % v if isinstance(v, float)
                                        else str(v))
            if "worst_boot" in g:
                vs += " (worst boot %.4f)" % g["worst_boot"]
            w("  %-68s %s %s\n" % (g["goal"], vs,
                                   "met" if g["met"] else "NOT met"))


def plot_data(res, path):
    """One row per latency figure, one column per target measured:
    deterministic median (or wall-clock when there is no deterministic
    run)."""
    mode = res["modes"].get("deterministic") or res["modes"]["wallclock"]
    targets = [t for t in TARGETS
               if any(k.startswith(t + "/") for k in mode["figures"])]
    with open(path, "w", encoding="utf-8") as f:
        f.write("figure " + " ".join(LABEL[t].replace(" ", "_")
                                     for t in targets) + "\n")
        for key, label in LATENCY:
            cells = []
            for t in targets:
                v = mode["figures"].get("%s/%s" % (t, key))
                cells.append("%.1f" % v["median"] if v else "NaN")
            f.write('"%s" %s\n' % (PLOT_LABEL[key], " ".join(cells)))


def smoke(boots, vm_rcs, rust, graphs, steps):
    """One check per figure group and per assertion group, as TAP (which
    bench.sh counts); the Rust twin's figures are wanted if @rust (its
    module was built), and else none."""
    ran = failed = 0
    print("TAP version 13")

    def check(ok, what):
        nonlocal ran, failed
        ran += 1
        print("%s %d - %s" % ("ok" if ok else "not ok", ran, what))
        if not ok:
            failed += 1

    for i, rc in enumerate(vm_rcs):
        check(rc == 0, "boot %d: guest log clean and the program exited 0 "
              "(vm.sh exit %d)" % (i + 1, rc))
    if not boots:
        check(False, "no benchmark output")
    for i, b in enumerate(boots):
        groups = {key_of(g): g for g in b["groups"]}
        want = []
        targets = [t for t in TARGETS if rust or t not in RUST]
        for t in targets:
            for s in SIZES:
                want.append("%s/pread/%d/0" % (t, s))
            for fig in ("orc", "orc_at"):
                want.append("%s/%s/13/0" % (t, fig))
                if t in MODULES:
                    want.append("%s/%s/13/1" % (t, fig))
            for fig in ("scale1", "scale2own", "scale2shared"):
                want.append("%s/%s/13/0" % (t, fig))
        expect = b["params"]["rounds"] * b["params"]["batches"]
        for k in want:
            g = groups.get(k)
            n = b["params"]["rounds"] if k.split("/")[1].startswith("scale") \
                else expect
            if not g:
                check(False, "boot %d: figure %s produced" % (i + 1, k))
                continue
            vals = g["values"]
            good = len(vals) == n and all(
                math.isfinite(v) and v > 0 for v in vals)
            check(good and g["bad_return"] == 0 and g["bad_text"] == 0,
                  "boot %d: %s: %d values, %d calls, %d bad returns, "
                  "%d bad texts" % (i + 1, k, len(vals), g["calls"],
                                    g["bad_return"], g["bad_text"]))
        extra = set(groups) - set(want)
        check(not extra, "boot %d: no unexpected figure %s"
              % (i + 1, " ".join(sorted(extra))))
        allocs = {(a["target"], a["op"]): a for a in b.get("allocs", [])}
        for t in targets:
            for op in ("open", "read"):
                a = allocs.get((t, op))
                # Every open allocates at least its struct file: a count
                # of 0 would mean the tracepoints saw nothing.
                ok = a is not None and (op != "open" or sum(a["total"]) >=
                                        a["ops"])
                check(ok, "boot %d: allocations per %s of %s counted"
                      % (i + 1, op, t))
        check(b.get("module_ranges_ok", False),
              "boot %d: every module's read function is inside the "
              "address range allocations are attributed to" % (i + 1))
        check(not b["errors"], "boot %d: no errors %s"
              % (i + 1, b["errors"].replace("\n", "; ")))
    for t in ["misc", "zero"] + (["rust"] if rust else []):
        g = graphs.get(t, {}).get("pread")
        roots = [n for n in (g["tree"] if g else [])
                 if n[0] == "__x64_sys_pread64"]
        check(len(roots) == 1 and roots[0][1] and roots[0][2],
              "call graph of one pread of %s: %d calls in the trace"
              % (t, g["calls"] if g else 0))
    for t in ["misc", "zero"] + (["rust", "rust_kmisc"] if rust else []):
        for op, entry in (("pread", "pread64"), ("open", "openat2"),
                          ("close", "close_range")):
            st = steps.get(t, {}).get(op)
            mod = {"misc": "[hellodev_misc]", "rust": "[hellodev_rust]",
                   "rust_kmisc": "[hellodev_rust_kmisc]"}.get(t)
            ours = st and (not mod or op == "close" or any(
                f.endswith(mod) for f, _ in st["functions"]))
            check(bool(st) and st["entry"] == entry and st["total"] > 50
                  and ours,
                  "instructions of one %s of %s counted: %d%s"
                  % (op, t, st["total"] if st else 0,
                     "" if not mod or op == "close"
                     else ", some in %s" % mod))
    print("1..%d" % ran)
    return failed == 0


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--det", nargs="*", default=[],
                    help="JSON of deterministic boots")
    ap.add_argument("--wall", nargs="*", default=[],
                    help="JSON of wall-clock boots")
    ap.add_argument("--det-flags", default="")
    ap.add_argument("--wall-flags", default="")
    ap.add_argument("--vm-rc", nargs="*", type=int, default=[])
    ap.add_argument("--kernel", required=True)
    ap.add_argument("--qemu", required=True)
    ap.add_argument("--host-cpu", required=True)
    ap.add_argument("--host-kernel", default="")
    ap.add_argument("--out", help="bench.json to write")
    ap.add_argument("--plot-data", help="gnuplot data file to write")
    ap.add_argument("--smoke", action="store_true")
    ap.add_argument("--graph", help="hellodev_bench -g output")
    ap.add_argument("--steps", help="bench/steps.py's JSON")
    ap.add_argument("--steps-guest", help="hellodev_bench -S output")
    ap.add_argument("--kallsyms", help="gzipped kernel text symbols of the "
                    "steps boot")
    ap.add_argument("--ko", nargs="*", default=[],
                    help="the modules measured, for their sizes")
    ap.add_argument("--rust", action="store_true",
                    help="hellodev_rust.ko and hellodev_rust_kmisc.ko were "
                    "built: want their figures")
    args = ap.parse_args()

    det_boots = load(args.det)
    wall_boots = load(args.wall)
    if args.smoke:
        sys.exit(0 if smoke(det_boots + wall_boots, args.vm_rc, args.rust,
                               parse_graphs(args.graph),
                               parse_steps(args.steps, args.steps_guest,
                                           args.kallsyms)) else 1)

    first = (det_boots + wall_boots)[0]
    events = first.get("alloc_events", [])
    res = {
        "kernel": args.kernel,
        "kernel_version": first["version"],
        "qemu": args.qemu,
        "host_cpu": args.host_cpu,
        "host_kernel": args.host_kernel,
        "guest_cpu": first["guest_cpu"],
        "guest_clocksource": first["clocksource"],
        "alloc_events": events,
        "ko_sizes": ko_sizes(args.ko),
        "graphs": parse_graphs(args.graph),
        "steps": parse_steps(args.steps, args.steps_guest, args.kallsyms),
        "modes": {},
    }
    if det_boots:
        figures, ratios = deterministic(det_boots)
        res["modes"]["deterministic"] = {
            "qemu_flags": args.det_flags.split(),
            "boots": len(det_boots),
            "params": det_boots[0]["params"],
            "cmdline": det_boots[0]["cmdline"],
            "figures": figures,
            "ratios": ratios,
        }
    if wall_boots:
        figures, ratios = wallclock(wall_boots)
        res["modes"]["wallclock"] = {
            "qemu_flags": args.wall_flags.split(),
            "boots": len(wall_boots),
            "params": wall_boots[0]["params"],
            "cmdline": wall_boots[0]["cmdline"],
            "figures": figures,
            "ratios": ratios,
        }
    res["allocs"] = allocations(det_boots[0] if det_boots else wall_boots[0],
                                events)
    det_ratios = res["modes"].get("deterministic", {}).get("ratios", {})
    res["goals"] = goals(det_ratios, res["allocs"]) if det_boots else []
    res["raw"] = {"deterministic": det_boots, "wallclock": wall_boots}
    if args.out:
        with open(args.out, "w", encoding="utf-8") as f:
            json.dump(res, f, indent=1)
            f.write("\n")
    if args.plot_data:
        plot_data(res, args.plot_data)
    print_table(res, sys.stdout)


if __name__ == "__main__":
    main()
