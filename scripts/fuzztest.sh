#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Third-party clients against every node, in a booted Debian kernel:
# Debian's stress-ng (its device stressor pointed at the node, as root and,
# for the character devices loaded with mode=0444, as an unprivileged user;
# its fstat stressor on the node's directory) and Debian's trinity (the node
# as its victim file, 64- and 32-bit system calls that open, read, seek,
# stat, map or control a file, as an unprivileged user, or, for
# debugfs, which only root can open, as root). Each client must have opened
# the node, and open_count must have grown by exactly the opens a kprobe
# event on the module's open() counted. After each frontend's run the node
# must still read back exactly the greeting, rmmod must work and leave
# nothing behind, and a new load must work.
# Ends with "fuzztest <release>: N passed, N failed, N skipped"; the
# operations each client did are in the log.
#
# Trinity (Debian's 1.9+git20230109) now and then stops making calls as
# root: its children spin in user space, outside any system call, and never
# end (seen on 6.12 in about 1 run of 20, twice in a row once). Every 10 s
# a run is looked at: if the same children are all in user space
# (/proc/PID/syscall says "running") in 6 looks over 5 s, that is
# trinity's fault, said so, and the run starts again with a new seed, up
# to 4 runs in all. A run that has not
# ended after HELLODEV_TRINITY_LIMIT seconds and does not spin fails the
# check, with the kernel stack of each child found in the same system call
# twice.
#
# usage: fuzztest.sh      KERNEL=6.1|6.12|7.3, HELLODEV_FUZZ_SECONDS (3),
#                         HELLODEV_TRINITY_OPS (2000),
#                         HELLODEV_TRINITY_LIMIT (300)
#        fuzztest.sh stage DIR
#                         only write the clients, their libraries and the
#                         job, hellodev/fuzz.sh, into the stage DIR, whose
#                         hellodev/ has the modules (make check-debug's)
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$(dirname "$0")/common.sh"

series=${KERNEL:-6.1}
seconds=${HELLODEV_FUZZ_SECONDS:-3}
# System calls trinity makes per run.
trinity_ops=${HELLODEV_TRINITY_OPS:-2000}
# Seconds one trinity run may take (15 to 60 s on Debian's kernels here).
trinity_limit=${HELLODEV_TRINITY_LIMIT:-300}
# Runs of trinity, each with its own seed, when its children spin.
trinity_runs=4
need_pkgs "${VM_PKGS[@]}" stress-ng trinity
if [ "${1:-}" = stage ]; then
	[ $# -eq 2 ] || die "usage: fuzztest.sh stage DIR"
	stage=$2
else
	need_kernel "$series"
	rel=$(kernel_release "$series")
	say "building the modules for $rel"
	kmod=$(build_modules "$series")
	out="$build/fuzztest/$rel"
	stage="$out/stage"
	rm -rf "$stage"
	mkdir -p "$stage/hellodev"
	cp "$kmod"/hellodev_*.ko "$stage/hellodev/"
fi
mkdir -p "$stage/hellodev" "$stage/usr/bin"
# The clients are dynamically linked: their libraries come along.
for bin in /usr/bin/stress-ng /usr/bin/trinity; do
	cp "$bin" "$stage/usr/bin/"
	ldd "$bin" | awk '/=> \// { print $3 } /^\t\/lib/ { print $1 }' |
		while read -r lib; do
			mkdir -p "$stage$(dirname "$lib")"
			cp -L "$lib" "$stage$lib"
		done
done

# open_symbol MODULE - the function the kernel calls for an open of the
# module's node: the C frontends' open_*(), the Rust twins' open trampolines
# (rust/miscdevice.rs's MiscdeviceVTable::open, rust/chrdev.rs's
# CdevVTable::open, rust/debugfs.rs's DebugfsVTable::open), not the __pfx_
# padding
# symbols a kernel with call padding adds. Empty if not exactly one.
open_symbol() {
	local syms

	[ -e "$stage/hellodev/$1.ko" ] || return 0
	syms=$(nm "$stage/hellodev/$1.ko" | awk '$2 ~ /^[tT]$/ { print $3 }' |
		grep -E '^open_(misc|cdev|debugfs)$|^_R.*(MiscdeviceVTable|CdevVTable|DebugfsVTable).*E4open' || true)
	[ "$(printf '%s\n' "$syms" | grep -c .)" -eq 1 ] && echo "$syms"
	return 0
}

cat >"$stage/hellodev/fuzz.sh" <<RUN
#!/bin/sh
# Each frontend: its load parameters, its node, its open_count; then the
# clients, then the checks. One TAP line per check; the plan comes last.
secs=$seconds
trinity_ops=$trinity_ops
trinity_limit=$trinity_limit
trinity_runs=$trinity_runs
open_misc=$(open_symbol hellodev_misc)
open_cdev=$(open_symbol hellodev_cdev)
open_debugfs=$(open_symbol hellodev_debugfs)
open_rust=$(open_symbol hellodev_rust)
open_rust_cdev=$(open_symbol hellodev_rust_cdev)
open_rust_debugfs=$(open_symbol hellodev_rust_debugfs)
RUN
cat "$top/tests/tap.sh" >>"$stage/hellodev/fuzz.sh"
cat >>"$stage/hellodev/fuzz.sh" <<'RUN'
export PATH=/usr/bin:/bin:/sbin
as_user() {
	su -s /bin/sh user -c "cd /tmp && $1"
}
# stress-ng's bogo ops of one stressor, from its --metrics-brief lines.
bogo() {
	sed -n "s/^.*\] *$1 *\([0-9][0-9]*\) .*/\1/p" "$2" | tail -n 1
}
# stress_dev RUN NODE - stress-ng's device stressor on NODE for $secs s,
# through RUN (eval: "sh -c" as root, or as_user); its output in
# /tmp/sng.log, its status returned. A slow guest (the debug kernel on a
# loaded host) can spend all of $secs before its first bogo op: then it
# runs once more until it has done one, for 300 s at the most, so that how
# long it runs is the host's business, and whether it opens the node ours.
stress_dev() {
	local cmd="stress-ng --dev 1 --dev-file $2 --metrics-brief --temp-path /tmp"
	local rc

	$1 "$cmd --timeout ${secs}s" >/tmp/sng.log 2>&1
	rc=$?
	if [ "$rc" -eq 0 ] && [ "$(bogo dev /tmp/sng.log)" = 0 ]; then
		echo "# stress-ng dev did no bogo op in ${secs} s: once more, until it does one"
		$1 "$cmd --dev-ops 1 --timeout 300s" >/tmp/sng.log 2>&1
		rc=$?
	fi
	return "$rc"
}
as_root() {
	sh -c "cd /tmp && $1"
}
# trinity_procs [-c] - "pid:syscall" of every live trinity process (with -c:
# of its children only); syscall is what /proc/PID/syscall begins with: a
# system call's number, or "running" in user space.
trinity_procs() {
	local p

	for p in /proc/[0-9]*; do
		case $(cat $p/comm 2>/dev/null) in
		trinity$1*)
			# A zombie has closed its files already.
			[ "$(cut -d' ' -f3 $p/stat 2>/dev/null)" != Z ] || continue
			echo "${p#/proc/}:$(cut -d' ' -f1 $p/syscall 2>/dev/null)"
			;;
		esac
	done
}
# trinity_kill - kill every trinity process, and wait until each is gone
# (busybox has no pkill).
trinity_kill() {
	local i=0 p

	while [ -n "$(trinity_procs)" ] && [ $i -lt 30 ]; do
		for p in $(trinity_procs); do
			kill -9 ${p%%:*} 2>/dev/null
		done
		sleep 1
		i=$((i + 1))
	done
}
# trinity_spins - trinity's children spin: the same children, each in user
# space ("running") in all of 6 looks, 1 s apart, so in no system call. A
# child that makes calls is in one at most looks: all 12 looks of two such
# children in user space is a chance of about 1 in 4000. Sets $s1 and $s2,
# the first and the last look.
trinity_spins() {
	local i s

	s1=$(trinity_procs -c | sort)
	s2=$s1
	[ -n "$s1" ] || return 1
	for i in 1 2 3 4 5; do
		sleep 1
		s=$(trinity_procs -c | sort)
		[ "$(printf '%s\n' $s | cut -d: -f1)" = "$(printf '%s\n' $s1 | cut -d: -f1)" ] ||
			return 1
		printf '%s\n' $s | grep -qv ':running$' && s2=$s && return 1
		s2=$s
	done
	! printf '%s\n' $s1 | grep -qv ':running$'
}
# trinity_run WHO CMD - run trinity's CMD as WHO (root or user), stopped
# when its children spin (looked at every 10 s), and run again with a new
# seed, up to $trinity_runs runs in all; stopped and failed after
# $trinity_limit s in any other state (see the top of fuzztest.sh). Sets
# $trinity_s, the seconds of the last run.
trinity_run() {
	local attempt=1 tpid s1 s2 cpu p st spun

	while :; do
		if [ "$1" = user ]; then
			as_user "$2" >/tmp/trinity.log 2>&1 &
		else
			(cd /tmp && exec $2 --dangerous) >/tmp/trinity.log 2>&1 &
		fi
		tpid=$!
		trinity_s=0
		spun=
		while kill -0 $tpid 2>/dev/null && [ $trinity_s -lt $trinity_limit ]; do
			sleep 1
			trinity_s=$((trinity_s + 1))
			[ $((trinity_s % 10)) -eq 0 ] || continue
			if trinity_spins; then
				spun=1
				break
			fi
			trinity_s=$((trinity_s + 5))
		done
		if [ -z "$spun" ] && ! kill -0 $tpid 2>/dev/null; then
			wait $tpid
			return
		fi
		[ -n "$spun" ] || ! trinity_spins || spun=1
		cpu=
		for p in $s2; do
			st=$(cat /proc/${p%%:*}/stat 2>/dev/null) || continue
			cpu="$cpu $(echo "$st" | cut -d' ' -f1,14,15 |
				sed 's/^\([0-9]*\) \([0-9]*\) \([0-9]*\)$/\1: \2 user, \3 system;/')"
		done
		if [ -n "$spun" ]; then
			trinity_kill
			wait $tpid
			echo "# trinity run $attempt spun after $trinity_s s: its children in user space, in no system call in 6 looks over 5 s (CPU ticks:$cpu), trinity's fault, not the kernel's"
			if [ $attempt -ge $trinity_runs ]; then
				echo "# FAIL trinity spun in each of its $trinity_runs runs"
				return
			fi
			attempt=$((attempt + 1))
			continue
		fi
		echo "# FAIL trinity did not end in $trinity_limit s; its children (pid:system call, first and last look): $(echo $s1) / $(echo $s2) (CPU ticks:$cpu)"
		for p in $s2; do
			[ "${p#*:}" != running ] || continue
			printf '%s\n' $s1 | grep -qx "$p" || continue
			echo "# kernel stack of ${p%%:*}, in the same system call at both looks:"
			sed 's/^/#   /' /proc/${p%%:*}/stack
		done
		trinity_kill
		wait $tpid
		return
	done
}
# The opens of a node are counted by the kernel too, independently of the
# module: a kprobe event on the module's open(), whose hits (and misses,
# which must be 0) tracefs' kprobe_profile gives. open_count must grow by
# exactly the hits.
tracing=/sys/kernel/tracing
[ -e $tracing/kprobe_events ] || mount -t tracefs tracefs $tracing
echo 0 >$tracing/tracing_on
# hits PROBE - the kprobe event's hits so far; for a probe with a filter
# ($filtered), the events it recorded (kprobe_profile counts every hit,
# the filtered-out ones too).
hits() {
	if [ -n "$filtered" ]; then
		grep -c " $1: " $tracing/trace
	else
		awk -v p="$1" '$1 == p { print $2 }' $tracing/kprobe_profile
	fi
}
# overruns - events the trace buffer lost, on every CPU.
overruns() {
	awk '/^(commit )?overrun: / { n += $NF } END { print n + 0 }' \
		$tracing/per_cpu/cpu*/stats
}
# missed PROBE - the times it could not run.
missed() {
	awk -v p="$1" '$1 == p { print $3 }' $tracing/kprobe_profile
}
# counted WHAT - check that open_count grew since $c0 by the kprobe's hits
# since $h0, and that WHAT opened the node at all; $c0 and $h0 move on.
# Without the kprobe ($probed empty), WHAT must still have opened the node,
# and the exact count is a skip.
counted() {
	local c1 h1

	c1=$(cat "$count")
	if [ -z "$probed" ]; then
		check "$fe: $1 opened the node: open_count grew by $((c1 - c0))" \
			"[ $((c1 - c0)) -gt 0 ]"
		skip "$fe: $1: open_count grew by exactly its opens" "$noprobe"
		c0=$c1
		return
	fi
	h1=$(hits $probe)
	check "$fe: $1 opened the node: $((h1 - h0)) opens, open_count grew by $((c1 - c0))" \
		"[ $((h1 - h0)) -gt 0 ] && [ $((c1 - c0)) -eq $((h1 - h0)) ]"
	c0=$c1
	h0=$h1
}
kernel=$(uname -r)
mkdir -p /tmp && chmod 1777 /tmp
calls=
for c in open openat openat2 read pread64 readv preadv preadv2 lseek llseek \
	newfstat fstat64 newstat statx mmap ioctl fcntl dup \
	close; do
	calls="$calls -c $c"
done
for fe in misc cdev debugfs debugfs_full_proxy rust rust_cdev rust_debugfs \
	rust_debugfs_full_proxy; do
	mod=hellodev_${fe%_full_proxy}
	[ -e "$mod.ko" ] || { echo "# $mod.ko not here: $fe is not run"; continue; }
	name=hdf_$fe
	params="name=$name"
	case $fe in
	misc | rust)
		node=/dev/$name
		count=/sys/class/misc/$name/open_count
		params="$params mode=0444"
		;;
	cdev)
		node=/dev/$name
		count=/sys/class/hellodev/$name/open_count
		params="$params mode=0444"
		;;
	rust_cdev)
		node=/dev/$name
		count=/sys/class/hellodev_rust/$name/open_count
		params="$params mode=0444"
		;;
	debugfs* | rust_debugfs*)
		node=/sys/kernel/debug/$name/greeting
		count=/sys/kernel/debug/$name/open_count
		[ "$fe" = "${fe%_full_proxy}" ] || params="$params full_proxy=1"
		;;
	esac
	check "$fe: loads" "insmod $mod.ko $params"
	probe=open_$fe
	eval sym=\$open_${fe%_full_proxy}
	probed=
	filtered=
	if [ -n "$sym" ] &&
		echo "p:hellodev/$probe $mod:$sym" >>$tracing/kprobe_events &&
		echo 1 >$tracing/events/hellodev/$probe/enable &&
		[ -n "$(hits $probe)" ]; then
		probed=1
	fi
	# What a Rust twin's kprobe takes when its own open is refused: the
	# kernel function that calls it, and the field that tells its node.
	case $fe in
	rust) caller=misc_open field=rdev class=misc ;;
	rust_cdev) caller=chrdev_open field=rdev class=hellodev_rust ;;
	rust_debugfs) caller=open_proxy_open field=ino ;;
	rust_debugfs_full_proxy) caller=full_proxy_open_regular field=ino ;;
	*) caller= ;;
	esac
	if [ -z "$probed" ] && [ -n "$caller" ] && [ -n "$sym" ] &&
		[ "${kernel%-hellodev-debug}" = "$kernel" ] &&
		dmesg | grep -q "trace_kprobe: Could not probe notrace function $sym"; then
		# Debian's 7.3 refuses kprobe events on code without an ftrace
		# location (DYNAMIC_FTRACE, no KPROBE_EVENTS_ON_NOTRACE), and
		# rustc adds none. A Rust twin's opens are counted where the
		# kernel calls them: misc_open() or chrdev_open() on the node's
		# device number, debugfs' open or full proxy on the file's
		# inode number (their BTF gives inode->i_rdev, inode->i_ino),
		# every call an event in the trace buffer, which must lose none.
		if [ $field = rdev ]; then
			dev=$(cat /sys/class/$class/$name/dev)
			want=$(((${dev%:*} << 20) | ${dev#*:}))
			fetch="rdev=inode->i_rdev:u32"
		else
			dev="inode $(stat -c %i "$node")"
			want=${dev#inode }
			fetch="ino=inode->i_ino:u64"
		fi
		if echo "p:hellodev/$probe $caller $fetch" >>$tracing/kprobe_events &&
			echo "$field == $want" >$tracing/events/hellodev/$probe/filter &&
			echo 1 >$tracing/events/hellodev/$probe/enable; then
			filtered=1
			probed=1
			# Room for some 300,000 events per CPU: an idle host's
			# stress-ng opens the node over 100,000 times.
			echo 16384 >$tracing/buffer_size_kb
			: >$tracing/trace
			echo 1 >$tracing/tracing_on
			check "$fe: a kprobe event counts $caller() on $dev: $sym is notrace here" \
				"[ -n \"\$(hits $probe)\" ]"
		fi
	fi
	[ -n "$probed" ] ||
		noprobe="the kernel refused a kprobe on $sym ($(sed -n 's/.*trace_kprobe: error: //p' $tracing/error_log | tail -n 1))"
	[ -n "$filtered" ] ||
		check "$fe: a kprobe event counts the calls of ${sym:-its open(), not found}" \
			"[ -n '$probed' ]"
	before=$(cat "$count")
	c0=$before
	h0=$(hits $probe)
	hstart=$h0

	case $fe in
	debugfs* | rust_debugfs*)
		echo "# $fe: stress-ng's device stressor takes /dev nodes only"
		;;
	*)
		stress_dev as_root "$node"
		rc=$?
		check "$fe: stress-ng --dev-file as root finishes" "[ $rc -eq 0 ]"
		echo "# $fe: stress-ng dev, root: $(bogo dev /tmp/sng.log) bogo ops"
		counted "stress-ng's device stressor as root"
		;;
	esac
	stress-ng --fstat 1 --fstat-dir "$(dirname "$node")" \
		--timeout "${secs}s" --metrics-brief --temp-path /tmp \
		>/tmp/sng.log 2>&1
	rc=$?
	check "$fe: stress-ng --fstat-dir as root finishes" "[ $rc -eq 0 ]"
	echo "# $fe: stress-ng fstat, root: $(bogo fstat /tmp/sng.log) bogo ops"
	case $fe in
	debugfs* | rust_debugfs*)
		# debugfs is root-only (0700) and so is the file (0400): only
		# root can open it, so trinity runs as root, with read-only
		# calls only.
		who=root
		;;
	*)
		stress_dev as_user "$node"
		rc=$?
		check "$fe: stress-ng --dev-file as a user finishes" "[ $rc -eq 0 ]"
		echo "# $fe: stress-ng dev, user: $(bogo dev /tmp/sng.log) bogo ops"
		counted "stress-ng's device stressor as a user"
		who=user
		;;
	esac
	# Trinity picks 64- and 32-bit calls alike, from those that open, read,
	# seek, stat, map or control a file (none that could change the guest,
	# none that may block for long); its file descriptors: the victim's and
	# its own test files.
	cmd="trinity -q -l off -V $node $calls --disable-fds=sockets,pipes,perf,epoll,eventfd,timerfd,memfd,drm -C 2 -N $trinity_ops"
	# What stress-ng's stat stressor opened is counted with trinity's.
	trinity_run $who "$cmd"
	ran=$(sed -n 's/.*Ran \([0-9]*\) syscalls.*/\1/p' /tmp/trinity.log | tail -n 1)
	check "$fe: trinity, 64- and 32-bit calls on the node as $who, makes its $trinity_ops" \
		"[ ${ran:-0} -ge $trinity_ops ]"
	echo "# $fe: trinity as $who: $(grep -o 'Ran [0-9]* syscalls.*' /tmp/trinity.log | tail -n 1) in $trinity_s s"
	counted "trinity as $who"

	check "$fe: the node reads back exactly the greeting" \
		"[ \"\$(cat $node)\" = 'Hello from C' ]"
	after=$(cat "$count")
	if [ -n "$probed" ]; then
		total=$(($(hits $probe) - hstart))
		check "$fe: open_count went from $before to $after: by the $total opens the kprobe counted, none missed" \
			"[ $((after - before)) -eq $total ] && [ \"\$(missed $probe)\" = 0 ] && [ \$(overruns) = 0 ]"
		echo 0 >$tracing/events/hellodev/$probe/enable
		echo "-:hellodev/$probe" >>$tracing/kprobe_events
		echo 0 >$tracing/tracing_on
		: >$tracing/trace
	else
		skip "$fe: open_count went from $before to $after: by exactly the opens" "$noprobe"
	fi
	check "$fe: rmmod works" "rmmod $mod"
	check "$fe: nothing is left" \
		"[ ! -e $node ] && [ ! -e $count ] && [ ! -e /sys/module/$mod ]"
	check "$fe: a new load works and reads" \
		"insmod $mod.ko $params && [ \"\$(cat $node)\" = 'Hello from C' ] && rmmod $mod"
done
echo "1..$n"
RUN
chmod +x "$stage/hellodev/fuzz.sh"
[ "${1:-}" != stage ] || exit 0
printf '#!/bin/sh\nexec ./fuzz.sh\n' >"$stage/hellodev/run.sh"
chmod +x "$stage/hellodev/run.sh"

say "booting $rel in QEMU: stress-ng and trinity against every node (about $((seconds * 80)) s)"
# One vCPU: the clients need no second one, and on a loaded host a vCPU
# that QEMU gets no time for looks like an RCU stall to the other one
# (seen on 7.3 beside make check-debug's guests: CPU 1 waiting 21 s in
# smp_call_function_many_cond() for CPU 0's TLB flush).
vm_suite "fuzztest $rel" "$rel" "$stage" "$out" 1800 1 -c 1
