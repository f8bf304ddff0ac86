#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Boot a Debian kernel under QEMU (TCG) with a busybox initramfs, run a job in
# it and bring its output back; fail on any kernel warning or bad taint.
#
# usage: vm.sh -k RELEASE -s STAGE -o OUT [-i IMAGE] [-c CPUS] [-A ACCEL]
#              [-t SECONDS] [-B SECONDS] [-a CMDLINE] [-b REGEX] [-q QEMUARG]...
#   RELEASE  kernel release; boots its image (/boot/vmlinuz-RELEASE, or
#            the Debian 13 chroot's) unless -i IMAGE
#   CPUS     vCPUs, default 2 (interleaved by one TCG thread: concurrent
#            tests still overlap)
#   ACCEL    QEMU -accel value, default tcg,thread=single (see below)
#   STAGE  folder copied into the initramfs root; STAGE/hellodev/run.sh is
#          the job, run as root with /proc, /sys, /dev and debugfs mounted
#   OUT    gets job.log (the job's output), dmesg.log, console.log
#   -t     time-out for the whole run, default 300 s; -B: for the boot, until
#          the job starts, default 600 s (a boot that hangs fails then)
#   REGEX  whole kernel log lines that the problem patterns match but that
#          report nothing (a debug kernel's start-up banners)
# Exit status: the job's, or 3 if the kernel reported a problem (the lines
# are printed), 4 if the guest never finished (hang, panic or time-out).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$(dirname "$0")/common.sh"

timeout=300
boot_timeout=600
cpus=2
accel=
image=
append=
benign='^$'
qemu_extra=()
while getopts k:s:o:i:c:A:t:B:a:b:q: opt; do
	case $opt in
	k) rel=$OPTARG ;;
	s) stage=$OPTARG ;;
	o) out=$OPTARG ;;
	i) image=$OPTARG ;;
	c) cpus=$OPTARG ;;
	A) accel=$OPTARG ;;
	t) timeout=$OPTARG ;;
	B) boot_timeout=$OPTARG ;;
	a) append=$OPTARG ;;
	b) benign=$OPTARG ;;
	q) qemu_extra+=("$OPTARG") ;;
	*) die "usage: vm.sh -k RELEASE -s STAGE -o OUT [-i IMAGE] [-c CPUS] [-A ACCEL] [-t SECONDS] [-B SECONDS] [-a CMDLINE] [-b REGEX] [-q QEMUARG]" ;;
	esac
done
if [ -z "${rel:-}" ] || [ -z "${stage:-}" ] || [ -z "${out:-}" ]; then
	die "vm.sh needs -k, -s and -o"
fi
[ -x "$stage/hellodev/run.sh" ] || die "$stage/hellodev/run.sh is missing"

kernel=${image:-$(kernel_image "$rel")}
# The kernel patches its text with INT3 (text_poke_bp, smp_text_poke)
# while the other vCPU runs, and under multi-threaded TCG that vCPU now and
# then still runs an INT3 from a translation made before the patch ended:
# "Oops: int3" in boot, on 7.3 in 2 boots of 80 here (0 of 60 with one TCG
# thread), and on 6.12 once (in sched_clock_cpu, 2 s into a fuzzer guest's
# boot, after hundreds of clean ones). One TCG thread for every kernel; it
# still runs 2 vCPUs, interleaved.
[ -n "$accel" ] || accel=tcg,thread=single
[ -r "$kernel" ] || die "cannot read $kernel"
# busybox-static installs its static binary as /bin/busybox.
busybox=/bin/busybox
mkdir -p "$out"
rm -f "$out"/{job,dmesg,console,result}.log

root=$(mktemp -d "$build/vmroot.XXXXXX")
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,dev,proc,sys,tmp,etc}
cp "$busybox" "$root/bin/busybox"
# tests/kmsg_dump.c, built once per change of it (one vm.sh at a time).
(
	flock 7
	build_tests "$build/kmsg" 300 kmsg_dump
) 7>"$build/.lock-kmsg"
cp "$build/kmsg/kmsg_dump" "$root/bin/kmsg_dump"
cp -a "$stage/." "$root/"
printf 'root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000:user:/tmp:/bin/sh\n' >"$root/etc/passwd"
printf 'root:x:0:\nuser:x:1000:\n' >"$root/etc/group"
cat >"$root/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin:/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
# ttyS1 carries the job's output and the reports, nothing else.
stty -F /dev/ttyS1 raw -echo
exec 3>/dev/ttyS1
echo "@@hellodev-start" >&3
cd /hellodev
./run.sh >&3 2>&3
echo "@@hellodev-exit $?" >&3
echo "@@hellodev-taint $(cat /proc/sys/kernel/tainted)" >&3
echo "@@hellodev-dmesg" >&3
# The whole log: busybox's dmesg reads at most 16 MiB (see log_whole).
/bin/kmsg_dump >&3
echo "@@hellodev-end" >&3
poweroff -f
INIT
chmod +x "$root/init"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) >"$out/initramfs.gz"

# log_buf_len=32M: room for what a debug guest logs; the gate checks that
# the kernel lost none of it (log_whole), so that a longer log fails rather
# than hides its start.
# no_timer_check: on a loaded host a TCG vCPU can miss the kernel's boot-time
# check that the 8254 timer reaches the IO-APIC, which then panics ("IO-APIC
# + timer doesn't work", seen here on 7.3 with eight guests on two cores);
# virtual machines skip that check (KVM guests get it by default).
set +e
timeout --foreground "$timeout" qemu-system-x86_64 \
	-accel "$accel" -smp "$cpus" -m 1024 \
	-no-reboot -display none -monitor none \
	-kernel "$kernel" -initrd "$out/initramfs.gz" \
	-append "console=ttyS0 quiet panic=-1 log_buf_len=32M no_timer_check $append" \
	-serial "file:$out/console.log" -serial "file:$out/result.log" \
	"${qemu_extra[@]}" </dev/null >"$out/qemu.log" 2>&1 &
qemu=$!
# A guest that has not started its job by the boot deadline hung (or died)
# in boot: stop it then, not at the time-out.
job_started() {
	grep -q '^@@hellodev-start' "$out/result.log" 2>/dev/null
}
[ "$boot_timeout" -le "$timeout" ] || boot_timeout=$timeout
deadline=$((SECONDS + boot_timeout))
while ! job_started && kill -0 "$qemu" 2>/dev/null && [ "$SECONDS" -lt "$deadline" ]; do
	sleep 1
done
started=
if job_started; then
	started=1
else
	kill "$qemu" 2>/dev/null
fi
wait "$qemu"
qemu_rc=$?
set -e

tr -d '\r' <"$out/result.log" >"$out/result.txt"
sed -n '/^@@hellodev-start$/d;/^@@hellodev-exit /q;p' "$out/result.txt" >"$out/job.log"
sed -n '/^@@hellodev-dmesg$/,/^@@hellodev-end$/p' "$out/result.txt" |
	sed '1d;$d' | grep -v '^@@hellodev-kmsg-' >"$out/dmesg.log" || true
job_rc=$(sed -n 's/^@@hellodev-exit //p' "$out/result.txt")
taint=$(sed -n 's/^@@hellodev-taint //p' "$out/result.txt")
if [ -z "$started" ]; then
	say "the guest did not start its job within $boot_timeout s: it hung or died in boot (qemu exit $qemu_rc; add -a ignore_loglevel to see where); last console lines:"
	tail -n 30 "$out/console.log" >&2
	exit 4
fi
if ! grep -q '^@@hellodev-end$' "$out/result.txt"; then
	say "the guest did not finish (qemu exit $qemu_rc); last console lines:"
	tail -n 30 "$out/console.log" >&2
	exit 4
fi

# Any of LOG_BAD's lines in the kernel log fails the run, whatever the job
# said, and so does a log the gate cannot see whole (log_whole).
problems=$(cat "$out/dmesg.log" "$out/console.log" | tr -d '\r' |
	grep -E "$LOG_BAD" | grep -Ev "$benign" | sort -u || true)
problems=$(printf '%s\n%s' "$problems" "$(log_whole "$out")" | sed '/^$/d')
# Taint: only O (out-of-tree, 4096) and E (unsigned, 8192) are expected.
if [[ $taint =~ ^[0-9]+$ ]] && [ $((taint & ~(4096 | 8192))) -ne 0 ]; then
	problems=$(printf '%s\n%s' "$problems" \
		"kernel taint $taint has flags other than O and E" | sed '/^$/d')
fi
if [ -n "$problems" ]; then
	say "the kernel reported problems:"
	printf '%s\n' "$problems" >&2
	exit 3
fi
exit "${job_rc:-1}"
