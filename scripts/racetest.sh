#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Load/unload races for every frontend in a booted Debian kernel: build the
# modules and tests/hellodev_race.c, boot, run it, count its KTAP results;
# the guest kernel log being clean counts as one more check.
#
# The debugfs variants run too. Debian's kernels WARN ("debugfs file owner
# did not clean up at exit", fs/debugfs/file.c) when an open of a debugfs
# file comes between delete_module() dropping the owner's last reference
# and marking it MODULE_STATE_GOING: the kernel's bug, not ours (see
# kernel_patch in scripts/check-debug.sh, whose debug kernel has the fix).
# The log gate here takes out each whole report of exactly that WARN (see
# warn_filter), says how many there were, and then fails on anything of
# vm.sh's problem patterns left, or on a taint but O, E and, if the WARN
# was seen, W. warn_filter_ok proves the filter first, on a real report.
#
# usage: racetest.sh      KERNEL=6.1|6.12|7.3, HELLODEV_RACE_CYCLES (200),
#                         HELLODEV_RACE_ONLY (variants, comma-separated)
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$(dirname "$0")/common.sh"


# warn_filter COUNT - print the kernel log on stdin less each whole report
# of the debugfs WARN, from its "cut here" to its "end trace" line, and
# write how many there were to the file COUNT. A report is taken out only
# if every line of it is in its place: the message for the file the race
# test opens ("greeting"), the WARNING line and the RIP line in the same
# open proxy of fs/debugfs/file.c, hellodev_race as the task, one module
# list, one call trace through do_dentry_open from an open system call,
# registers, code, the user-space RIP. Lines of nothing of that kind
# within it (another CPU's lines) are given back to the log; a second
# "cut here" before the end means another report, and then neither goes.
warn_filter() {
	awk -v countfile="$1" \
		-v proxy='(open_proxy_open|full_proxy_open|full_proxy_open_regular|full_proxy_open_short)\+0x[0-9a-f]+/0x[0-9a-f]+' '
	function strip(l) {
		sub(/^\[ *[0-9]+\.[0-9]+\] /, "", l)
		return l
	}
	function flush(   i) {
		for (i = 1; i <= n; i++)
			print held[i]
		n = 0
		inblock = 0
		reports = 0
	}
	function frame(l, name) {
		return l ~ ("^ (\\? )?" name "\\+0x[0-9a-f]+/0x[0-9a-f]+( \\[[a-z0-9_]+\\])?$")
	}
	# The held lines are K reports of the WARN, interleaved when CPUs
	# WARNed at once, and nothing else.
	function is_warn(k,   i, l, s, fn, nfn, msg, warn, mods, cpu, rip, urip, calltr, task, etask, dentry, sys, cut, end) {
		nother = 0
		for (i = 1; i <= n; i++) {
			l = strip(held[i])
			if (l == "------------[ cut here ]------------") {
				cut++
			} else if (l ~ /^---\[ end trace [0-9a-f]+ \]---$/) {
				end++
			} else if (l == "debugfs file owner did not clean up at exit: greeting") {
				msg++
			} else if (l ~ ("^WARNING: CPU: [0-9]+ PID: [0-9]+ at fs/debugfs/file\\.c:[0-9]+ " proxy "$") ||
				   l ~ ("^WARNING: fs/debugfs/file\\.c:[0-9]+ at " proxy ", CPU#[0-9]+: hellodev_race/[0-9]+$")) {
				# 6.1 and 6.12 say "WARNING: CPU: C PID: P at
				# FILE:LINE FN+OFF/SIZE", 7.3 "WARNING:
				# FILE:LINE at FN+OFF/SIZE, CPU#C: COMM/PID".
				warn++
				s = l
				sub(/^.* at (fs\/debugfs\/file\.c:[0-9]+ )?/, "", s)
				sub(/\+.*/, "", s)
				nfn[s]++
			} else if (l ~ ("^RIP: 0010:" proxy "$")) {
				rip++
				s = l
				sub(/^RIP: 0010:/, "", s)
				sub(/\+.*/, "", s)
				# Each RIP in a proxy one of the WARNING lines named.
				if (--nfn[s] < 0)
					return 0
			} else if (l ~ /^Modules linked in: /) {
				mods++
			} else if (l ~ /^CPU: [0-9]+ (UID: [0-9]+ )?PID: [0-9]+ Comm: hellodev_race (Not tainted|Tainted: )/) {
				cpu++
			} else if (l == "Call Trace:") {
				calltr++
			} else if (l == " <TASK>") {
				task++
			} else if (l == " </TASK>") {
				etask++
			} else if (task > etask &&
				   l ~ /^ (\? )?[A-Za-z0-9_.]+\+0x[0-9a-f]+\/0x[0-9a-f]+( \[[a-z0-9_]+\])?$/) {
				if (frame(l, "do_dentry_open"))
					dentry++
				if (frame(l, "(__x64_sys_openat|__x64_sys_open|__ia32_compat_sys_openat|do_sys_openat2|do_sys_open)"))
					sys++
			} else if (task > etask && l ~ /^RIP: 0033:0x[0-9a-f]+$/) {
				urip++
			} else if (l ~ /^Tainted: (\[[A-Z]\]=[A-Z_]+(, )?)+$/ ||
				   l ~ /^Hardware name: / || l ~ /^Code: [0-9a-f <>()]+$/ ||
				   l ~ /^RSP: [0-9a-f]{4}:[0-9a-f]{16} EFLAGS: [0-9a-f]{8}( ORIG_RAX: [0-9a-f]{16})?$/ ||
				   l ~ /^(R[ABCD]X|R[SD]I|RBP|R0[89]|R1[0-5]|FS|CS|CR2|DR[0-7]|PKRU): +[0-9a-f]/) {
				continue
			} else {
				other[++nother] = held[i]
			}
		}
		return cut == k && end == k && msg == k && warn == k && rip == k &&
			mods == k && cpu == k && calltr == k && task == k &&
			etask == k && urip <= k && dentry >= k && sys >= k
	}
	{
		l = strip($0)
		# A report that starts before the last one ended: both are
		# held until every one has ended, and taken out only if all
		# are the WARN.
		if (l == "------------[ cut here ]------------") {
			inblock++
			reports++
		}
		if (!inblock) {
			print
			next
		}
		held[++n] = $0
		if (l ~ /^---\[ end trace [0-9a-f]+ \]---$/ && !--inblock) {
			if (is_warn(reports)) {
				count += reports
				reports = 0
				for (i = 1; i <= nother; i++)
					print other[i]
				n = 0
				inblock = 0
			} else {
				flush()
			}
		}
	}
	END {
		flush()
		print count + 0 >countfile
	}'
}

# log_gate DIR - vm.sh's log gate on DIR's dmesg.log and console.log, less
# the debugfs WARN's reports: sets $problems, what is left of a problem,
# and $warns, the reports taken out of dmesg.log.
log_gate() {
	local f n taint flags=$((4096 | 8192)) allowed="O and E" left=

	warns=0
	for f in dmesg console; do
		left+=$(tr -d '\r' <"$1/$f.log" | warn_filter "$1/$f.warns" |
			grep -E "$LOG_BAD" || true)$'\n'
		n=$(cat "$1/$f.warns")
		[ "$f" != dmesg ] || warns=$n
	done
	# The WARN taints the kernel W (512).
	if [ "$warns" -gt 0 ]; then
		flags=$((flags | 512))
		allowed="O, E and W"
	fi
	# A log the gate cannot see whole, as vm.sh says.
	left+=$(log_whole "$1")$'\n'
	taint=$(sed -n 's/^@@hellodev-taint //p' "$1/result.txt")
	if [[ $taint =~ ^[0-9]+$ ]] && [ $((taint & ~flags)) -ne 0 ]; then
		left+="kernel taint $taint has flags other than $allowed"
	fi
	problems=$(printf '%s' "$left" | sed '/^$/d' | sort -u)
}

# warn_filter_ok - the filter takes out a real report of the WARN (6.1's,
# below), alone, twice, or with another CPU's lines within it, which it
# keeps; and no other report: one whose WARNING line, RIP, message, task
# or call trace differs, one with a BUG line within it, one cut short, nor
# a second, different WARN beside it.
warn_filter_ok() {
	local dir warn n rc=0

	dir=$(mktemp -d "$build/warnfilter.XXXXXX")
	warn=$(cat <<'LOG'
[  170.019491] ------------[ cut here ]------------
[  170.019520] debugfs file owner did not clean up at exit: greeting
[  170.019996] WARNING: CPU: 0 PID: 100 at fs/debugfs/file.c:334 full_proxy_open+0x7f/0x1f0
[  170.020361] Modules linked in: hellodev_debugfs(OE) [last unloaded: hellodev_debugfs(OE)]
[  170.031480] CPU: 0 PID: 100 Comm: hellodev_race Tainted: G           OE      6.1.0-57-amd64 #1  Debian 6.1.192-3
[  170.031793] Hardware name: QEMU Standard PC (i440FX + PIIX, 1996), BIOS 1.16.2-debian-1.16.2-1 04/01/2014
[  170.031986] RIP: 0010:full_proxy_open+0x7f/0x1f0
[  170.032169] Code: 84 4c 01 00 00 e8 61 0d d2 ff 84 c0 75 5a 49 8b 06 48 85 c0 74 05 83 38 02 74 11 48 89 ee 48 c7 c7 88 5f 98 88 e8 91 a6 c7 ff <0f> 0b bb fa ff ff ff 48 89 ef e8 32 f7 ff ff 89 d8 5b 5d 41 5c 41
[  170.032299] RSP: 0018:ffffd269403abb50 EFLAGS: 00000282
[  170.032472] RAX: 0000000000000000 RBX: 0000000000000000 RCX: c0000000ffefffff
[  170.032506] RDX: 0000000000000000 RSI: 00000000ffefffff RDI: 0000000000000001
[  170.032531] RBP: ffff8d7cc25780c0 R08: 0000000000000000 R09: ffffd269403ab9c8
[  170.032557] R10: 0000000000000003 R11: ffff8d7cfddedfe8 R12: ffff8d7cc2522780
[  170.032582] R13: ffff8d7cf6036100 R14: ffffffffc02891c0 R15: ffff8d7cf6036100
[  170.032689] FS:  00007ff2e4ead6c0(0000) GS:ffff8d7cf6a00000(0000) knlGS:0000000000000000
[  170.037741] CS:  0010 DS: 0000 ES: 0000 CR0: 0000000080050033
[  170.037789] CR2: 00007ff2e4eadd58 CR3: 000000000214a000 CR4: 00000000000006f0
[  170.038107] Call Trace:
[  170.039608]  <TASK>
[  170.040103]  ? debugfs_locked_down.isra.0+0x50/0x50
[  170.040233]  do_dentry_open+0x1e5/0x410
[  170.040298]  path_openat+0xb7d/0x1260
[  170.040327]  ? apparmor_file_permission+0x6c/0x170
[  170.040415]  ? hellodev_open+0x70/0x70 [hellodev_debugfs]
[  170.040513]  ? full_proxy_read+0x5e/0x80
[  170.040543]  do_filp_open+0xaf/0x160
[  170.040612]  do_sys_openat2+0xaf/0x170
[  170.040642]  __x64_sys_openat+0x6a/0xa0
[  170.040688]  do_syscall_64+0x5d/0xb0
[  170.046922]  ? __rseq_handle_notify_resume+0xa9/0x480
[  170.047109]  ? mntput_no_expire+0x4a/0x250
[  170.047151]  ? exit_to_user_mode_prepare+0x44/0x240
[  170.047194]  ? syscall_exit_to_user_mode+0x1e/0x40
[  170.047219]  ? do_syscall_64+0x69/0xb0
[  170.047238]  ? syscall_exit_to_user_mode+0x1e/0x40
[  170.047261]  ? do_syscall_64+0x69/0xb0
[  170.047284]  entry_SYSCALL_64_after_hwframe+0x6e/0xd8
[  170.047565] RIP: 0033:0x44a0d0
[  170.047889] Code: 48 89 44 24 20 75 93 44 89 54 24 0c e8 29 08 03 00 44 8b 54 24 0c 89 da 48 89 ee 41 89 c0 bf 9c ff ff ff b8 01 01 00 00 0f 05 <48> 3d 00 f0 ff ff 77 38 44 89 c7 89 44 24 0c e8 7c 08 03 00 8b 44
[  170.047917] RSP: 002b:00007ff2e4ead160 EFLAGS: 00000293 ORIG_RAX: 0000000000000101
[  170.047978] RAX: ffffffffffffffda RBX: 0000000000080000 RCX: 000000000044a0d0
[  170.047993] RDX: 0000000000080000 RSI: 00007ffd207a8200 RDI: 00000000ffffff9c
[  170.048006] RBP: 00007ffd207a8200 R08: 0000000000000000 R09: 00007ffd207a6f57
[  170.048021] R10: 0000000000000000 R11: 0000000000000293 R12: 00007ff2e4ead1e0
[  170.048036] R13: 7266206f6c6c6548 R14: 0a43206d6f726620 R15: 0000000000000004
[  170.048111]  </TASK>
[  170.048202] ---[ end trace 0000000000000000 ]---
LOG
)
	# try NAME REPORTS PROBLEMS LOG - warn_filter takes REPORTS out of LOG
	# and leaves lines of PROBLEMS problem patterns.
	try() {
		local left

		left=$(printf '%s\n' "$4" | warn_filter "$dir/n" | grep -cE "$LOG_BAD" || true)
		n=$(cat "$dir/n")
		if [ "$n" -ne "$2" ] || [ "$left" -ne "$3" ]; then
			say "warn_filter, $1: took $n reports (not $2), left $left problem lines (not $3)"
			rc=1
		fi
	}
	try "the WARN" 1 0 "$warn"
	try "the WARN twice" 2 0 "$warn"$'\n'"$warn"
	# As 7.3 says it: its WARNING line, a UID in the CPU line, the taints
	# named, full_proxy_open() split in two.
	warn73=$(sed -e 's/^\(\[[ 0-9.]*\] \)WARNING: CPU: \([0-9]*\) PID: \([0-9]*\) at \([^ ]*\) \(.*\)$/\1WARNING: \4 at \5, CPU#\2: hellodev_race\/\3/' \
		-e 's/^\(\[[ 0-9.]*\] CPU: [0-9]*\) PID:/\1 UID: 0 PID:/' \
		-e 's/full_proxy_open/full_proxy_open_regular/' \
		-e '/ Hardware name: /i [  170.031500] Tainted: [W]=WARN, [O]=OOT_MODULE, [E]=UNSIGNED_MODULE' <<<"$warn")
	try "the WARN, as 7.3 says it" 1 0 "$warn73"
	try "7.3's WARN in another task" 0 2 "${warn73/CPU#0: hellodev_race/CPU#0: cat}"
	try "7.3's WARN in another file" 0 2 "${warn73/fs\/debugfs\/file.c/fs\/debugfs\/inode.c}"
	try "another CPU's line within it" 1 0 \
		"$(sed '20a [  170.038000] hdr_debugfs: Opened the file 7 times' <<<"$warn")"
	try "a BUG line within it" 1 1 \
		"$(sed '20a [  170.038000] BUG: unable to handle page fault for address: 0000000000000008' <<<"$warn")"
	try "another WARN beside it" 1 2 \
		"$warn"$'\n'"${warn/fs\/debugfs\/file.c:334 full_proxy_open/kernel/module/main.c:812 module_put}"
	try "another function in the WARNING line" 0 2 \
		"${warn/file.c:334 full_proxy_open/file.c:334 full_proxy_read}"
	try "another function in the RIP line" 0 2 \
		"${warn/RIP: 0010:full_proxy_open/RIP: 0010:open_proxy_open}"
	try "another function in both" 0 2 "${warn//full_proxy_open/full_proxy_read}"
	try "another message" 0 2 \
		"${warn/clean up at exit: greeting/clean up at exit: open_count}"
	try "another task" 0 2 "${warn/Comm: hellodev_race/Comm: cat}"
	try "no open system call" 0 2 "$(sed '/__x64_sys_openat/d;/do_sys_openat2/d' <<<"$warn")"
	try "a second call trace" 0 3 \
		"$(sed '20a [  170.038000] Call Trace:' <<<"$warn")"
	try "cut short" 0 2 "$(sed '$d' <<<"$warn")"
	printf '%s\n' "${warn//full_proxy_open/full_proxy_read}" >"$dir/other"
	try "a report inside it" 0 4 "$(sed "20r $dir/other" <<<"$warn")"
	# Two CPUs WARNing at once, as 7.3 did: their lines interleave.
	printf '%s\n' "$warn73" >"$dir/other"
	try "two WARNs at once" 2 0 "$(sed "3r $dir/other" <<<"$warn73")"
	try "two WARNs at once, one cut short" 0 4 "$(sed "3r $dir/other" <<<"$warn73" | sed '$d')"
	rm -rf "$dir"
	return "$rc"
}
warn_filter_ok || die "the debugfs WARN filter takes what it must not, or misses the WARN"
say "the debugfs WARN filter takes exactly the WARN's reports (19 cases)"

series=${KERNEL:-6.1}
cycles=${HELLODEV_RACE_CYCLES:-200}
need_pkgs "${VM_PKGS[@]}"
need_kernel "$series"
rel=$(kernel_release "$series")
say "building the modules and the race test for $rel"
kmod=$(build_modules "$series")

out="$build/racetest/$rel"
stage="$out/stage"
rm -rf "$stage"
mkdir -p "$stage/hellodev"
cp "$kmod"/hellodev_*.ko "$stage/hellodev/"
build_tests "$out/bin" 300 hellodev_race
cp "$out/bin/hellodev_race" "$stage/hellodev/"
# The harness's filters: the variants HELLODEV_RACE_ONLY names, and none of
# the Rust twin's where the kernel has no Rust.
filter=$(no_rust_filter "$rel")
hd_only=${HELLODEV_RACE_ONLY:-}
for v in ${hd_only//,/ }; do
	filter+=" -v $v"
done
cat >"$stage/hellodev/run.sh" <<RUN
#!/bin/sh
HELLODEV_RACE_DEBUGFS=1 HELLODEV_RACE_CYCLES=$cycles exec ./hellodev_race $filter
RUN
chmod +x "$stage/hellodev/run.sh"

say "booting $rel in QEMU: $cycles load/unload cycles per frontend under readers"
set +e
"$top/scripts/vm.sh" -k "$rel" -s "$stage" -o "$out" -t 3000
vm_rc=$?
set -e
cat "$out/job.log"
gate=pass
if [ "$vm_rc" -eq 4 ]; then
	gate=fail
else
	# vm.sh's gate (3) fails on the debugfs WARN too: this one does not.
	tr -d '\r' <"$out/result.log" >"$out/result.txt"
	log_gate "$out"
	echo "# debugfs WARN (the kernel's bug, see scripts/racetest.sh) seen $warns times in $cycles cycles per frontend"
	if [ -n "$problems" ]; then
		# "# FAIL" lines: what make check shows of a suite.
		echo "# FAIL the kernel reported problems (the debugfs WARN's reports taken out):"
		printf '%s\n' "$problems" | head -n 40 | sed 's/^/# FAIL   /'
		gate=fail
	fi
fi
ktap_summary "racetest $rel" "$out/job.log" "$gate"
