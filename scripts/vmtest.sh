#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Build the modules and the conformance test for a Debian kernel, boot it in
# QEMU, run the test there and count its KTAP results; the guest kernel log
# being clean (no warning, taint O/E only) counts as one more check.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$(dirname "$0")/common.sh"

series=${KERNEL:-6.1}
need_pkgs "${VM_PKGS[@]}" linux-source-6.1
need_kernel "$series"
rel=$(kernel_release "$series")
say "building the modules and the test for $rel"
kmod=$(build_modules "$series")
src=$("$top/scripts/linux-src.sh")

out="$build/vmtest/$rel"
stage="$out/stage"
rm -rf "$stage"
mkdir -p "$stage/hellodev"
cp "$kmod"/hellodev_*.ko "$stage/hellodev/"
# Up to 300 s per test, not the harness's 30: on a loaded host (KUnit and
# the debug guests run beside make check's booted suites) a test may take
# longer in guest time; no test here is a timing target.
gcc -static -O2 -Wall -Werror -DHELLODEV_TEST_TIMEOUT=300 \
	-I"$src/tools/testing/selftests" \
	-o "$stage/hellodev/hellodev_test" "$top/tests/hellodev_test.c" -lpthread
cat >"$stage/hellodev/run.sh" <<'RUN'
#!/bin/sh
exec ./hellodev_test
RUN
chmod +x "$stage/hellodev/run.sh"

say "booting $rel in QEMU and running the conformance suite"
set +e
"$top/scripts/vm.sh" -k "$rel" -s "$stage" -o "$out" -t 900
vm_rc=$?
set -e
cat "$out/job.log"
gate=pass
if [ "$vm_rc" -eq 3 ] || [ "$vm_rc" -eq 4 ]; then
	gate=fail
fi
ktap_summary "vmtest $rel" "$out/job.log" "$gate"
