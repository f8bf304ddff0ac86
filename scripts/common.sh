# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Shared helpers for the hellodev scripts: progress lines, package set-up and
# which Debian kernel to build for and boot. Sourced, never run.

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build="$top/build"
# Every script writes there, whichever runs first in a new clone.
mkdir -p "$build"
# Slow results kept across clones: downloaded packages, the Rust metadata.
# shellcheck disable=SC2034 # used by the scripts that source this file
cache=${HELLODEV_CACHE:-/var/cache/hellodev}
# The Debian 13 chroot that builds for Debian 13's kernel (scripts/trixie.sh),
# shared by every clone: each run mounts its own clone in it, in a mount
# namespace of its own.
trixie="$cache/trixie"

say() {
	printf 'hellodev: %s\n' "$*" >&2
}

die() {
	say "error: $*"
	exit 1
}

# as_root CMD... - run CMD as root (through sudo when not root).
as_root() {
	if [ "$(id -u)" -eq 0 ]; then
		"$@"
	else
		sudo "$@"
	fi
}

# need_pkgs [-t SUITE] PKG... - install the Debian packages that are missing,
# from SUITE if given.
need_pkgs() {
	local missing=() p suite=()

	if [ "${1:-}" = -t ]; then
		suite=(-t "$2")
		shift 2
	fi
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
			missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	mkdir -p "$build"
	say "installing ${missing[*]} (once; this takes a few minutes)"
	# One apt-get at a time from our scripts (two clones, or make check and
	# check-debug): apt's own locks fail rather than wait.
	(
		flock 7
		as_root apt-get update -q || exit 1
		DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -q \
			--no-install-recommends "${suite[@]}" "${missing[@]}"
	) 7>"/tmp/hellodev-apt.lock" >"$build/apt.log" 2>&1 ||
		die "installing ${missing[*]} failed; see $build/apt.log"
}

# What booting a Debian kernel in QEMU and building modules for it needs,
# besides the kernel itself (need_kernel).
# shellcheck disable=SC2034 # used by the scripts that source this file
VM_PKGS=(qemu-system-x86 busybox-static cpio gzip gcc make libc6-dev kmod)

# need_backports - enable Debian's bookworm-backports suite, on the mirror
# this machine already uses for bookworm.
need_backports() {
	local list=/etc/apt/sources.list.d/bookworm-backports.sources uri

	# shellcheck disable=SC2016 # apt's format fields, not the shell's
	apt-get indextargets --format '$(RELEASE)' 2>/dev/null |
		grep -qx bookworm-backports && return 0
	# shellcheck disable=SC2016 # apt's format fields, not the shell's
	uri=$(apt-get indextargets --format '$(REPO_URI) $(RELEASE)' |
		awk '$2 == "bookworm" { print $1; exit }')
	[ -n "$uri" ] || die "no bookworm suite in the apt sources to add backports beside"
	say "enabling Debian's bookworm-backports suite in $list"
	printf 'Types: deb\nURIs: %s\nSuites: bookworm-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
		"$uri" | as_root tee "$list" >/dev/null
	mkdir -p "$build"
	as_root apt-get update -q >"$build/apt.log" 2>&1 ||
		die "apt-get update failed; see $build/apt.log"
}

# bpo_depends META - the package that META (linux-image-amd64 or
# linux-headers-amd64) depends on in bookworm-backports.
bpo_depends() {
	local ver

	ver=$(apt-cache madison "$1" |
		awk -F ' *[|] *' '$3 ~ /bookworm-backports/ { print $2; exit }')
	[ -n "$ver" ] || die "bookworm-backports has no $1"
	apt-cache depends "$1=$ver" |
		awk -v want="${1%-amd64}-" '$1 == "Depends:" && index($2, want) == 1 { print $2; exit }'
}

# need_kernel SERIES - install Debian's kernel SERIES (image and headers):
# 6.1, Debian 12's own, 6.12 from bookworm-backports, or 7.3, Debian 13's
# newest from trixie-backports, installed in the Debian 13 chroot with the
# Rust metadata its headers lack (scripts/rust-meta.sh). For 6.12 the
# versioned packages that backports' linux-image-amd64 and
# linux-headers-amd64 depend on are installed, so that the machine's own
# meta packages keep following Debian 12.
need_kernel() {
	local image headers rel

	case $1 in
	6.1)
		kernel_release "$1" >/dev/null && return 0
		need_pkgs linux-image-amd64 linux-headers-amd64
		;;
	6.12)
		kernel_release "$1" >/dev/null && return 0
		need_backports
		image=$(bpo_depends linux-image-amd64)
		headers=$(bpo_depends linux-headers-amd64)
		need_pkgs -t bookworm-backports "$image" "$headers"
		;;
	7.3)
		# make check-debug sets it up too, beside make check: one at a
		# time, so that their apt-get runs in the chroot do not meet.
		mkdir -p "$build" "$cache"
		(
			exec 8>"$cache/.lock-need-7.3"
			flock 8
			rel=$("$top/scripts/trixie.sh" kernel "$1") &&
				"$top/scripts/rust-meta.sh" "$rel"
		) || exit 1
		;;
	*)
		die "KERNEL must be 6.1, 6.12 or 7.3, not '$1'"
		;;
	esac
	kernel_release "$1" >/dev/null ||
		die "Debian kernel $1 is still missing after installing it"
}

# kernel_release SERIES - newest installed Debian kernel of SERIES (e.g. 6.1)
# that has both an image and headers to build against, on this machine or in
# the Debian 13 chroot.
kernel_release() {
	local series=$1 f rel found=

	for f in /boot/vmlinuz-"$series".* "$trixie"/usr/lib/modules/"$series".*/vmlinuz; do
		[ -e "$f" ] || continue
		rel=${f#/boot/vmlinuz-}
		rel=${rel#"$trixie"/usr/lib/modules/}
		rel=${rel%/vmlinuz}
		if [ -e "/usr/src/linux-headers-$rel/Makefile" ] ||
			[ -e "$trixie/usr/src/linux-headers-$rel/Makefile" ]; then
			found+="$rel"$'\n'
		fi
	done
	[ -n "$found" ] || return 1
	printf '%s' "$found" | sort -V | tail -n 1
}

# in_chroot_kernel RELEASE - whether RELEASE is a kernel of the Debian 13
# chroot rather than of this machine.
in_chroot_kernel() {
	[ ! -e "/usr/src/linux-headers-$1/Makefile" ] &&
		[ -e "$trixie/usr/src/linux-headers-$1/Makefile" ]
}

# kernel_image RELEASE - the image of installed kernel RELEASE.
kernel_image() {
	if in_chroot_kernel "$1"; then
		printf '%s\n' "$trixie/usr/lib/modules/$1/vmlinuz"
	else
		printf '%s\n' "/boot/vmlinuz-$1"
	fi
}

# kmake RELEASE ARGS... - make in the source tree with KDIR set for kernel
# RELEASE: on this machine, or in the Debian 13 chroot for its kernels.
kmake() {
	kmake_in "$top" "$@"
}

# kmake_in DIR RELEASE ARGS... - kmake, in the copy of the tree in DIR (under
# $top, which the chroot sees).
kmake_in() {
	local dir=$1 rel=$2

	shift 2
	if in_chroot_kernel "$rel"; then
		"$top/scripts/trixie.sh" run make -C "$dir" \
			KDIR="/usr/src/linux-headers-$rel" "$@"
	else
		make -C "$dir" KDIR="/usr/src/linux-headers-$rel" "$@"
	fi
}

# build_modules SERIES - build the modules for the VM kernel; prints the
# directory that holds the .ko files.
build_modules() {
	local rel log

	rel=$(kernel_release "$1") ||
		die "no Debian kernel $1 with headers installed"
	# Per kernel: two kernels' suites can build at once (make check).
	log=$build/kbuild-$rel.log
	if ! kmake "$rel" -s modules >"$log" 2>&1; then
		cat "$log" >&2
		die "module build failed"
	fi
	grep -v '^Skipping BTF generation' "$log" >&2 || true
	printf '%s\n' "$build/kmod/$rel"
}

# ksft_dir - print a directory with the kselftest harness the userspace
# programs build with (tests/Makefile's KSFT): kselftest_harness.h and
# kselftest.h of Debian 12's linux-source-6.12, the oldest harness with the
# filters (-v, -f, -t) and SKIP() in a fixture's set-up that the suites
# use. Extracted once per package version.
ksft_dir() {
	local ver dir sel=linux-source-6.12/tools/testing/selftests

	need_pkgs linux-source-6.12 xz-utils
	# shellcheck disable=SC2016 # dpkg-query's format fields
	ver=$(dpkg-query -W -f='${Version}' linux-source-6.12)
	dir=$build/ksft-$ver
	mkdir -p "$build"
	(
		flock 7
		[ -e "$dir/.done" ] && exit 0
		rm -rf "$dir"
		mkdir -p "$dir"
		tar -xJf /usr/src/linux-source-6.12.tar.xz -C "$dir" \
			--strip-components=4 "$sel/kselftest_harness.h" "$sel/kselftest.h" &&
			touch "$dir/.done"
	) 7>"$build/.lock-ksft" || die "extracting the kselftest harness from linux-source-6.12 failed"
	printf '%s\n' "$dir"
}

# build_tests DIR TIMEOUT PROGRAM... - build tests/Makefile's PROGRAMs into
# DIR, the harness's limit per test TIMEOUT seconds.
build_tests() {
	local dir=$1 timeout=$2 ksft

	shift 2
	ksft=$(ksft_dir)
	make -s -C "$top/tests" O="$dir" KSFT="$ksft" TIMEOUT="$timeout" "$@" ||
		die "building $* failed"
}

# no_rust_filter REL - the harness filter that leaves out the Rust twins'
# variants where kernel REL has no Rust ("-V rust -V rust_cdev ..."), else
# nothing.
no_rust_filter() {
	in_chroot_kernel "$1" ||
		echo "-V rust -V rust_cdev -V rust_debugfs -V rust_debugfs_full_proxy"
}

# The kernel log lines that fail a guest's run (vm.sh's log gate, and
# racetest.sh's after it takes out the debugfs WARN). RCU stalls: "rcu:
# INFO: rcu_preempt detected stalls on CPUs/tasks:", "self-detected stall
# on CPU", "rcu_preempt kthread starved for".
# shellcheck disable=SC2034 # used by the scripts that source this file
LOG_BAD='WARNING:|BUG:|Oops|Call Trace|general protection|Kernel panic|KASAN:|UBSAN:|kmemleak:|ODEBUG:|possible (circular|recursive) locking|lockdep|INFO: task .* blocked|hung_task|unreferenced object|detected stall|kthread starved'

# log_whole OUT - a line for each reason the log gate cannot trust the
# guest log in OUT (vm.sh's OUT: result.txt, dmesg.log, as tests/kmsg_dump.c
# reads it): no taint printed, records the kernel overwrote (its oldest
# record left is not its first, seq 0, or one went while it was read), or a
# dmesg.log that does not start with the kernel's first line. Prints
# nothing for a whole log.
log_whole() {
	local taint first

	taint=$(sed -n 's/^@@hellodev-taint //p' "$1/result.txt")
	first=$(sed -n 's/^@@hellodev-kmsg-first //p' "$1/result.txt")
	[[ $taint =~ ^[0-9]+$ ]] ||
		echo "the guest reported no taint (got '$taint'): /proc/sys/kernel/tainted could not be read"
	if [ "$first" != 0 ]; then
		echo "the kernel log lost its oldest records (the first left is number '$first'): the guest logged more than log_buf_len holds, so the gate cannot see them all"
	elif grep -q '^@@hellodev-kmsg-lost$' "$1/result.txt"; then
		echo "the kernel log lost records while it was read: the gate cannot see them all"
	elif ! head -n 1 "$1/dmesg.log" | grep -q 'Linux version'; then
		echo "the kernel log read back does not start with the kernel's first line: the gate cannot see the whole log"
	fi
}

# ktap_summary NAME FILE [pass|fail [STREAMS]] - print "NAME: N passed, N
# failed, N skipped" for the results of a KTAP/TAP file, plus one check
# passed or failed by the caller (the guest log gate); the one place that
# counts TAP for make check. FILE holds STREAMS top-level streams (default
# 1), each from its "TAP version" line (or its first plan or result) on,
# with its plan first or last; a stream whose plan was not met, or one that
# is missing, counts as a failure. Nested KTAP (subtests indented by four
# spaces, as KUnit prints them) counts its leaves: a result with subtests
# is their parent and not counted again, unless it failed while none of
# them did, which is one failure; a nested plan, where one is printed, must
# be met.
ktap_summary() {
	awk -v name="$1" -v gate="${3:-}" -v want="${4:-1}" '
		function end_stream(d) {
			if (open[d] && (d == 0 || plan[d] != "") && ran[d] != plan[d]) {
				printf "%s: stream %d%s: plan %s but %d results\n", name, streams,
					d ? " (depth " d ")" : "", plan[d] == "" ? "none" : plan[d], ran[d]
				fail++
			}
			open[d] = 0
		}
		# Close the streams deeper than d, and d itself if all is set.
		function close_below(d, all,   i) {
			for (i = maxd; i > d; i--)
				end_stream(i)
			if (all)
				end_stream(d)
			if (maxd > d)
				maxd = d
		}
		function start_stream(d) {
			close_below(d, 1)
			if (d == 0)
				streams++
			open[d] = 1
			plan[d] = ""
			ran[d] = 0
			failed_below[d] = 0
			kids[d] = 0
			if (d > maxd)
				maxd = d
		}
		{
			line = $0
			match(line, /^ */)
			d = int(RLENGTH / 4)
			line = substr(line, RLENGTH + 1)
		}
		line ~ /^K?TAP version [0-9]+$/ { start_stream(d); next }
		line ~ /^1\.\.[0-9]+$/ {
			if (!open[d] || plan[d] != "")
				start_stream(d)
			plan[d] = substr(line, 4) + 0
			next
		}
		line ~ /^(not )?ok [0-9]+/ {
			if (!open[d])
				start_stream(d)
			bad = line ~ /^not ok/
			if (kids[d]) {
				# A parent: its subtests were counted.
				if (bad && !failed_below[d])
					fail++
			} else if (bad)
				fail++
			else if (line ~ /# SKIP/)
				skip++
			else
				pass++
			if ((bad || failed_below[d]) && d > 0)
				failed_below[d - 1] = 1
			close_below(d, 0)
			ran[d]++
			kids[d] = 0
			failed_below[d] = 0
			if (d > 0)
				kids[d - 1] = 1
		}
		END {
			close_below(0, 1)
			if (gate == "pass") pass++
			if (gate == "fail") fail++
			if (streams != want) {
				printf "%s: %d TAP streams, want %d\n", name, streams, want
				fail++
			}
			printf "%s: %d passed, %d failed, %d skipped\n", name, pass, fail, skip
			exit fail != 0
		}' "$2"
}

# vm_suite NAME REL STAGE OUT SECONDS [STREAMS [VM.SH ARG...]] - boot REL
# with STAGE's run.sh (scripts/vm.sh, its output in OUT, at most SECONDS),
# show the guest's results, and count them with its log gate (vm.sh's exit
# 3 or 4 fails it, and its first findings are shown as "# FAIL" lines,
# which make check shows): the last line is ktap_summary's.
vm_suite() {
	local vm_rc=0 gate=pass name=$1 rel=$2 stage=$3 out=$4 secs=$5
	local streams=${6:-1}

	shift $(($# < 6 ? $# : 6))
	"$top/scripts/vm.sh" -k "$rel" -s "$stage" -o "$out" -t "$secs" "$@" || vm_rc=$?
	[ -e "$out/job.log" ] || : >"$out/job.log"
	cat "$out/job.log"
	if [ "$vm_rc" -eq 3 ] || [ "$vm_rc" -eq 4 ]; then
		gate=fail
		echo "# FAIL the guest log gate (vm.sh exited $vm_rc; $out/):"
		cat "$out/dmesg.log" "$out/console.log" 2>/dev/null | tr -d '\r' |
			grep -E "$LOG_BAD" | head -n 10 | sed 's/^/# FAIL   /' || true
	fi
	ktap_summary "$name" "$out/job.log" "$gate" "$streams"
}

# boot_counts DIR - the counts of one boot of make check-debug, a line each
# ("NAME: N passed, N failed, N skipped"): its log gate (DIR/gate, pass or
# fail, written after the guest ran) and every KTAP stream that DIR/plan
# names, one a line, each found in DIR/job.log after a "@@ktap NAME" line
# and split out into DIR/NAME.ktap. A gate never written, a missing plan or
# a planned stream that printed nothing counts as one failure.
boot_counts() {
	local dir=$1 b name k

	b=$(basename "$dir")
	case $(cat "$dir/gate" 2>/dev/null) in
	pass) echo "$b/log gate: 1 passed, 0 failed, 0 skipped" ;;
	fail) echo "$b/log gate: 0 passed, 1 failed, 0 skipped" ;;
	*) echo "$b/log gate never written (the boot did not run): 0 passed, 1 failed, 0 skipped" ;;
	esac
	if [ ! -s "$dir/plan" ]; then
		echo "$b: no plan of its streams: 0 passed, 1 failed, 0 skipped"
		return
	fi
	rm -f "$dir"/*.ktap
	[ ! -e "$dir/job.log" ] ||
		awk -v dir="$dir" '/^@@ktap / { f = dir "/" $2 ".ktap"; next } f { print > f }' \
			"$dir/job.log"
	while IFS= read -r name; do
		k=$dir/$name.ktap
		if [ -s "$k" ]; then
			ktap_summary "$b/$name" "$k" || true
		else
			echo "$b/$name planned, but printed nothing: 0 passed, 1 failed, 0 skipped"
		fi
	done <"$dir/plan"
}
