#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Load/unload races for every frontend in a booted Debian kernel: build the
# modules and tests/hellodev_race.c, boot, run it, count its KTAP results;
# the guest kernel log being clean counts as one more check.
#
# usage: racetest.sh      KERNEL=6.1|6.12|7.3, HELLODEV_RACE_CYCLES (200),
#                         HELLODEV_RACE_ONLY (variants, comma-separated)
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$(dirname "$0")/common.sh"

series=${KERNEL:-6.1}
cycles=${HELLODEV_RACE_CYCLES:-200}
need_pkgs "${VM_PKGS[@]}" linux-source-6.1
need_kernel "$series"
rel=$(kernel_release "$series")
say "building the modules and the race test for $rel"
kmod=$(build_modules "$series")
src=$("$top/scripts/linux-src.sh")

out="$build/racetest/$rel"
stage="$out/stage"
rm -rf "$stage"
mkdir -p "$stage/hellodev"
cp "$kmod"/hellodev_*.ko "$stage/hellodev/"
gcc -static -O2 -Wall -Werror -I"$src/tools/testing/selftests" \
	-o "$stage/hellodev/hellodev_race" "$top/tests/hellodev_race.c" -lpthread
cat >"$stage/hellodev/run.sh" <<RUN
#!/bin/sh
${HELLODEV_RACE_ONLY:+HELLODEV_RACE_ONLY=$HELLODEV_RACE_ONLY }HELLODEV_RACE_CYCLES=$cycles exec ./hellodev_race
RUN
chmod +x "$stage/hellodev/run.sh"

say "booting $rel in QEMU: $cycles load/unload cycles per frontend under readers"
set +e
"$top/scripts/vm.sh" -k "$rel" -s "$stage" -o "$out" -t 3000
vm_rc=$?
set -e
cat "$out/job.log"
gate=pass
if [ "$vm_rc" -eq 3 ] || [ "$vm_rc" -eq 4 ]; then
	gate=fail
fi
ktap_summary "racetest $rel" "$out/job.log" "$gate"
