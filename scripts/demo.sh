#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The seed's session through one hellodev frontend, in Debian's own kernel
# under QEMU: load with the seed's name and greeting, read three times, show
# the log, unload, and show the log once more, with its (exit) line. Prints
# only the commands and their output. VARIANT=rust, rust_cdev and
# rust_debugfs, the Rust twins, need a kernel with Rust: they boot Debian
# 13's 7.3 unless KERNEL says otherwise.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$(dirname "$0")/common.sh"

variant=${VARIANT:-misc}
series=${KERNEL:-6.1}
case $variant in
misc | cdev) node=/dev/rust_mydev ;;
debugfs) node=/sys/kernel/debug/rust_mydev/greeting ;;
rust | rust_cdev)
	node=/dev/rust_mydev
	series=${KERNEL:-7.3}
	;;
rust_debugfs)
	node=/sys/kernel/debug/rust_mydev/greeting
	series=${KERNEL:-7.3}
	;;
*) die "VARIANT must be misc, cdev, debugfs, rust, rust_cdev or rust_debugfs, not '$variant'" ;;
esac

mkdir -p "$build"
need_pkgs "${VM_PKGS[@]}"
need_kernel "$series"
rel=$(kernel_release "$series")
say "building the modules for $rel"
kmod=$(build_modules "$series")

out="$build/demo/$variant"
stage="$out/stage"
rm -rf "$stage"
mkdir -p "$stage/hellodev"
[ -e "$kmod/hellodev_$variant.ko" ] ||
	die "no hellodev_$variant.ko for $rel (see $build/kbuild-$rel.log): the Rust variants need a kernel with Rust, KERNEL=7.3"
cp "$kmod/hellodev_$variant.ko" "$stage/hellodev/"
cat >"$stage/hellodev/run.sh" <<RUN
#!/bin/sh
# Show each command as typed at a root prompt, then run it.
run() {
	printf '# %s\n' "\$1"
	eval "\$1" 2>&1
}
run "insmod hellodev_$variant.ko name=rust_mydev 'greeting=\"🦀 Hello from rust\"'"
run "cat $node"
run "cat $node"
run "cat $node"
run "dmesg | grep rust_mydev"
run "rmmod hellodev_$variant"
run "dmesg | grep rust_mydev"
RUN
chmod +x "$stage/hellodev/run.sh"

say "booting $rel in QEMU (about 10 s)"
if ! "$top/scripts/vm.sh" -k "$rel" -s "$stage" -o "$out" -t 120; then
	cat "$out/job.log"
	die "the demo failed; the guest's log is in $out/"
fi
cat "$out/job.log"
