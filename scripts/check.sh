#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Every hellodev test: the static gates (checkpatch --strict, kernel-doc, the
# shell linter, W=1 and sparse for each kernel), the KUnit suites, the
# conformance suite in each booted kernel (Debian 12's 6.1 and 6.12 from
# bookworm-backports), DKMS and modprobe, the demo of each frontend, and
# make check-debug (scripts/check-debug.sh: the suite, fault injection and
# load/unload cycles on a KASAN/lockdep/kmemleak build of 6.1).
# Ends with "N passed, N failed, N skipped".
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$(dirname "$0")/common.sh"

read -ra kernels <<<"${KERNELS:-6.1 6.12}"
pass=0
fail=0
skip=0
failed=()

# check NAME CMD... - one check: run CMD, show its output on failure.
check() {
	local name=$1 log

	shift
	log=$(mktemp)
	if "$@" >"$log" 2>&1; then
		printf 'ok - %s\n' "$name"
		pass=$((pass + 1))
	else
		printf 'not ok - %s\n' "$name"
		sed 's/^/#   /' "$log"
		fail=$((fail + 1))
		failed+=("$name")
	fi
	rm -f "$log"
}

# add_counts LINE - add "...: N passed, N failed, N skipped" to the totals.
add_counts() {
	local p f s

	read -r p f s < <(sed -n 's/.*: \([0-9]*\) passed, \([0-9]*\) failed, \([0-9]*\) skipped$/\1 \2 \3/p' <<<"$1")
	if [ -z "${p:-}" ]; then
		fail=$((fail + 1))
		failed+=("$1")
		return
	fi
	pass=$((pass + p))
	fail=$((fail + f))
	skip=$((skip + s))
	[ "$f" -eq 0 ] || failed+=("$1")
}

# suite NAME CMD... - run a suite that ends with a counts line.
suite() {
	local name=$1 log last

	shift
	say "running $name"
	log="$build/check-$name.log"
	# Show failures as they come (harness "not ok"/"FAIL", kunit.py
	# "[FAILED]") and the counts; everything else is in the log.
	"$@" 2>&1 | tee "$log" |
		grep -E '^not ok|^# +FAIL|\[FAILED\]|: [0-9]+ passed' || true
	last=$(grep -E ': [0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$' "$log" | tail -n 1 || true)
	add_counts "${last:-$name: no result line (see $log)}"
}

# The gates and the demo check, each a function that fails with its reason.
# quiet CMD... - succeed if CMD succeeds and prints nothing (but the BTF note
# Debian's headers cause); else show what it printed.
quiet() {
	local log rc=0

	log=$("$@" 2>&1) || rc=$?
	log=$(grep -v '^Skipping BTF generation' <<<"$log" || true)
	if [ "$rc" -ne 0 ] || [ -n "$log" ]; then
		printf '%s\n' "$log"
		return 1
	fi
}

# vm_job CMD [VM.SH ARG]... - boot $rel with a job that runs CMD, and a
# /hang that never returns; print vm.sh's exit status.
vm_job() {
	local stage rc=0

	stage=$(mktemp -d "$build/vmjob.XXXXXX")
	mkdir -p "$stage/hellodev"
	printf '#!/bin/sh\n%s\n' "$1" >"$stage/hellodev/run.sh"
	printf '#!/bin/busybox sh\nexec /bin/busybox sleep 100000\n' >"$stage/hang"
	chmod +x "$stage/hellodev/run.sh" "$stage/hang"
	shift
	"$top/scripts/vm.sh" -k "$rel" -s "$stage" -o "$stage/out" "$@" >&2 || rc=$?
	rm -rf "$stage"
	echo "$rc"
}

# gate_fails CMD - the guest log gate must fail a run whose job runs CMD.
gate_fails() {
	[ "$(vm_job "$1" -t 120)" -eq 3 ]
}

# boot_hang_fails - a guest that never starts its job (its init hangs) must
# fail with 4 at vm.sh's boot deadline (-B 30), long before the time-out.
boot_hang_fails() {
	local start=$SECONDS rc

	rc=$(vm_job true -t 600 -B 30 -a rdinit=/hang)
	echo "vm.sh exited $rc after $((SECONDS - start)) s"
	[ "$rc" -eq 4 ] && [ $((SECONDS - start)) -lt 300 ]
}

demo_shows_seed() {
	local out n

	out=$(VARIANT=$1 KERNEL=$2 "$top/scripts/demo.sh" 2>/dev/null) || return 1
	printf '%s\n' "$out"
	[ "$(grep -cx '🦀 Hello from rust' <<<"$out")" -eq 3 ] || return 1
	for n in 1 2 3; do
		grep -q "rust_mydev: Opened the file $n times$" <<<"$out" || return 1
	done
}

mkdir -p "$build"
start=$(date +%s)
need_pkgs "${VM_PKGS[@]}" linux-source-6.1 sparse shellcheck bc flex bison \
	python3 perl xz-utils dkms libelf-dev
rels=()
for k in "${kernels[@]}"; do
	need_kernel "$k"
	rels+=("$(kernel_release "$k")")
done
rel=${rels[0]}
src=$("$top/scripts/linux-src.sh")
cd "$top"

say "static gates"
sources=$(git ls-files '*.c' '*.h')
for f in $sources; do
	ignore=
	# The compat header exists to compare kernel versions.
	[ "$f" = variants/compat.h ] && ignore=--ignore=LINUX_VERSION_CODE
	check "checkpatch --strict $f" perl "$src/scripts/checkpatch.pl" \
		--no-tree --strict --quiet $ignore -f "$f"
done
# shellcheck disable=SC2086 # one word per file
check "kernel-doc: no warnings" quiet perl "$src/scripts/kernel-doc" -none $sources
check "kernel-doc on every non-static function" "$top/scripts/kdoc-cover.sh" \
	common/*.c variants/*.c
# shellcheck disable=SC2046 # one word per file
check "shellcheck" shellcheck -x $(git ls-files 'scripts/*.sh' .ci/run)

# Rebuild from scratch so W=1 sees every file; sparse then checks them all.
for r in "${rels[@]}"; do
	rm -rf "$build/kmod/$r"
	check "$r: build with W=1, no warnings" \
		quiet make -s modules KDIR="/usr/src/linux-headers-$r" W=1
	check "$r: sparse (C=2), no warnings" \
		quiet make -s modules KDIR="/usr/src/linux-headers-$r" C=2
done

suite kunit "$top/scripts/kunit.sh"
for k in "${kernels[@]}"; do
	suite "vmtest-$k" env KERNEL="$k" "$top/scripts/vmtest.sh"
done
suite dkms env KERNELS="${kernels[*]}" "$top/scripts/dkmstest.sh"
for k in "${kernels[@]}"; do
	suite "bench-smoke-$k" env KERNEL="$k" "$top/scripts/bench.sh" --smoke
done

suite check-debug "$top/scripts/check-debug.sh"

check "guest log gate fails a run that logs a Call Trace" \
	gate_fails 'echo l >/proc/sysrq-trigger'
check "guest log gate fails a run with a taint other than O and E" \
	gate_fails 'echo 1 >/proc/sys/kernel/tainted'
check "vm.sh stops and fails a guest that hangs in boot, at its deadline" \
	boot_hang_fails
for k in "${kernels[@]}"; do
	for v in misc cdev debugfs; do
		check "make demo VARIANT=$v KERNEL=$k shows the seed's session" \
			demo_shows_seed "$v" "$k"
	done
done

say "make check took $(($(date +%s) - start)) s"
if [ ${#failed[@]} -gt 0 ]; then
	say "failed:"
	printf '  %s\n' "${failed[@]}" >&2
fi
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
