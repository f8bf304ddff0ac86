#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Build the modules and the conformance and hostile suites for a Debian
# kernel, boot it in QEMU, run them there and count their KTAP results; the
# guest kernel log being clean (no warning, taint O/E only) counts as one
# more check.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$(dirname "$0")/common.sh"

series=${KERNEL:-6.1}
need_pkgs "${VM_PKGS[@]}"
need_kernel "$series"
rel=$(kernel_release "$series")
say "building the modules and the test for $rel"
kmod=$(build_modules "$series")

out="$build/vmtest/$rel"
stage="$out/stage"
rm -rf "$stage"
mkdir -p "$stage/hellodev"
cp "$kmod"/hellodev_*.ko "$stage/hellodev/"
# Where the kernel has Rust the suites skip the twin's variants without its
# module: it must be here.
! in_chroot_kernel "$rel" || { [ -e "$kmod/hellodev_rust.ko" ] &&
	[ -e "$kmod/hellodev_rust_cdev.ko" ] && [ -e "$kmod/hellodev_rust_debugfs.ko" ]; } ||
	die "$rel has Rust, but the Rust modules were not built; see build/kbuild-$rel.log"
# Up to 300 s per test, not the harness's 30: on a loaded host (KUnit and
# the debug guests run beside make check's booted suites) a test may take
# longer in guest time; no test here is a timing target.
build_tests "$out/bin" 300 hellodev_conformance hellodev_hostile
cp "$out/bin/hellodev_conformance" "$out/bin/hellodev_hostile" "$stage/hellodev/"
filter=$(no_rust_filter "$rel")
[ -z "$filter" ] || echo "# $rel has no Rust: the suites run without the Rust twin's variants ($filter)"
cat >"$stage/hellodev/run.sh" <<RUN
#!/bin/sh
./hellodev_conformance $filter
./hellodev_hostile $filter
RUN
chmod +x "$stage/hellodev/run.sh"

say "booting $rel in QEMU and running the conformance suite"
vm_suite "vmtest $rel" "$rel" "$stage" "$out" 900 2
