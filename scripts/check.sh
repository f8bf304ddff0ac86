#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Every hellodev test: the static gates (checkpatch --strict, kernel-doc, the
# shell linter, W=1 and sparse for each kernel; rustfmt, clippy, doc and
# SAFETY comments for the Rust twin, each proved able to fail), the KUnit
# suites (C and Rust), the conformance suite in each booted kernel (Debian
# 12's 6.1, 6.12 from bookworm-backports and Debian 13's 7.3 from
# trixie-backports, the only one with Rust), DKMS and modprobe, the demo of
# each frontend, stress-ng and trinity against every node and load/unload
# races under readers on each kernel, and make check-debug
# (scripts/check-debug.sh: the suite, fault injection, load/unload cycles,
# races and the fuzzers, C and Rust, on a KASAN/UBSAN/lockdep/kmemleak build
# of 7.3 with Rust). Ends with "N passed, N failed, N skipped".
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$(dirname "$0")/common.sh"

read -ra kernels <<<"${KERNELS:-6.1 6.12 7.3}"
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

# skip NAME REASON - a check that cannot run here, and why.
skip() {
	printf 'ok - %s # SKIP %s\n' "$1" "$2"
	skip=$((skip + 1))
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
	local name=$1 log last t0=$SECONDS

	shift
	say "running $name"
	log="$build/check-$name.log"
	# Show failures as they come (harness "not ok"/"FAIL", kunit.py
	# "[FAILED]") and the counts; everything else is in the log.
	"$@" 2>&1 | tee "$log" |
		grep -E '^not ok|^# +FAIL|\[FAILED\]|: [0-9]+ passed' || true
	last=$(grep -E ': [0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$' "$log" | tail -n 1 || true)
	add_counts "${last:-$name: no result line (see $log)}"
	say "$name took $((SECONDS - t0)) s"
}

# The gates and the demo check, each a function that fails with its reason.
# quiet CMD... - succeed if CMD succeeds and prints nothing (but the BTF note
# Debian's headers cause); else show what it printed.
quiet() {
	local log rc=0

	log=$("$@" 2>&1) || rc=$?
	log=$(grep -Ev '^(Skipping BTF generation|hellodev: not building hellodev_rust\.ko: .* without CONFIG_RUST$)' <<<"$log" || true)
	if [ "$rc" -ne 0 ] || [ -n "$log" ]; then
		printf '%s\n' "$log"
		return 1
	fi
}

# vm_job REL CMD [VM.SH ARG]... - boot kernel REL with a job that runs CMD,
# and a /hang that never returns; print vm.sh's exit status.
vm_job() {
	local stage rc=0 r=$1

	stage=$(mktemp -d "$build/vmjob.XXXXXX")
	mkdir -p "$stage/hellodev"
	printf '#!/bin/sh\n%s\n' "$2" >"$stage/hellodev/run.sh"
	printf '#!/bin/busybox sh\nexec /bin/busybox sleep 100000\n' >"$stage/hang"
	chmod +x "$stage/hellodev/run.sh" "$stage/hang"
	shift 2
	"$top/scripts/vm.sh" -k "$r" -s "$stage" -o "$stage/out" "$@" >&2 || rc=$?
	rm -rf "$stage"
	echo "$rc"
}

# gate_fails REL CMD - the guest log gate must fail a run of kernel REL
# whose job runs CMD.
gate_fails() {
	[ "$(vm_job "$1" "$2" -t 120)" -eq 3 ]
}

# boot_hang_fails - a guest that never starts its job (its init hangs) must
# fail with 4 at vm.sh's boot deadline (-B 30), long before the time-out.
boot_hang_fails() {
	local start=$SECONDS rc

	rc=$(vm_job "$rel" true -t 600 -B 30 -a rdinit=/hang)
	echo "vm.sh exited $rc after $((SECONDS - start)) s"
	[ "$rc" -eq 4 ] && [ $((SECONDS - start)) -lt 300 ]
}

# trinity_limit_works - fuzz.sh's time limit on trinity, with a stand-in
# trinity whose two children, as a user (misc), spin in the shell (user
# space, no system call), and, as root (debugfs), block opening a FIFO (in
# the kernel): the spin is said, killed and run again once, the block
# fails with its kernel stack, every calls check fails, and each module
# still unloads and loads again.
trinity_limit_works() {
	local stage log rc=0

	stage=$(mktemp -d "$build/vmjob.XXXXXX")
	# The stage becomes the guest's root, which the user must traverse.
	chmod 755 "$stage"
	mkdir -p "$stage/hellodev"
	cp "$build/kmod/$rel"/hellodev_{misc,debugfs}.ko "$stage/hellodev/"
	HELLODEV_FUZZ_SECONDS=1 HELLODEV_TRINITY_LIMIT=3 \
		"$top/scripts/fuzztest.sh" stage "$stage" >/dev/null
	cat >"$stage/usr/bin/trinity" <<'FAKE'
#!/bin/sh
# Not trinity: two children that never end, named as trinity names them.
if [ "$(id -u)" = 0 ]; then
	mkfifo /tmp/never
	printf '#!/bin/sh\nread x </tmp/never\n' >/tmp/trinity-c0
else
	printf '#!/bin/sh\nwhile :; do :; done\n' >/tmp/trinity-c0
fi
chmod +x /tmp/trinity-c0
/tmp/trinity-c0 &
/tmp/trinity-c0 &
wait
FAKE
	chmod +x "$stage/usr/bin/trinity"
	printf '#!/bin/sh\nexec ./fuzz.sh\n' >"$stage/hellodev/run.sh"
	chmod +x "$stage/hellodev/run.sh"
	"$top/scripts/vm.sh" -k "$rel" -s "$stage" -o "$stage/out" -t 600 || rc=$?
	log=$(cat "$stage/out/job.log" 2>/dev/null || true)
	rm -rf "$stage"
	printf '%s\n' "$log"
	# 0: the guest finished, its kernel log clean (3: a report, 4: hang).
	[ "$rc" -eq 0 ] &&
		[ "$(grep -c '^# trinity run [12] did not end in 3 s: its children spin in user space' <<<"$log")" -eq 2 ] &&
		[ "$(grep -c '^# trinity did not end in 3 s' <<<"$log")" -eq 2 ] &&
		[ "$(grep -c '^# kernel stack of ' <<<"$log")" -ge 2 ] &&
		[ "$(grep -c '^not ok .*: trinity, .* makes its' <<<"$log")" -eq 3 ] &&
		[ "$(grep -cE '^ok .*: (rmmod works|nothing is left|a new load works and reads)$' <<<"$log")" -eq 9 ]
}

# demo_shows_seed VARIANT KERNEL - the seed's session: the greeting three
# times, opens 1, 2 and 3 logged, and last the log with the (exit) line.
demo_shows_seed() {
	local out n

	out=$(VARIANT=$1 KERNEL=$2 "$top/scripts/demo.sh" 2>/dev/null) || return 1
	printf '%s\n' "$out"
	[ "$(grep -cx '🦀 Hello from rust' <<<"$out")" -eq 3 ] || return 1
	for n in 1 2 3; do
		grep -q "rust_mydev: Opened the file $n times$" <<<"$out" || return 1
	done
	tail -n 1 <<<"$out" | grep -q 'rust_mydev: .*(exit)$'
}

# mutant NAME FILE SED - print a copy of the module sources in
# build/gates/NAME/ in which sed script SED changed FILE.
mutant() {
	local dir=$build/gates/$1

	rm -rf "$dir"
	mkdir -p "$dir"
	cp -r "$top"/{Kbuild,common,variants,rust,kunit} "$dir/"
	sed -i "$3" "$dir/$2"
	if cmp -s "$top/$2" "$dir/$2"; then
		echo "the mutation of $2 changed nothing"
		return 1
	fi
	printf '%s\n' "$dir"
}

# rust_gate_fails GATE FILE SED - scripts/rust-gates.sh GATE must fail on
# FILE changed by SED.
rust_gate_fails() {
	local dir

	dir=$(mutant "$1" "$2" "$3") || return 1
	if "$top/scripts/rust-gates.sh" "$1" "$dir/$2"; then
		echo "the $1 gate passed $2 changed by '$3'"
		return 1
	fi
}

# build_gate_fails NAME FILE SED MAKEARGS... - a build of the module sources
# for $rust_rel with MAKEARGS must print warnings once SED changed FILE.
build_gate_fails() {
	local dir out

	dir=$(mutant "$1" "$2" "$3") || return 1
	shift 3
	out=$("$top/scripts/trixie.sh" run make -s -C "/usr/src/linux-headers-$rust_rel" \
		M="$dir" modules "$@" 2>&1 | grep -v '^Skipping BTF generation' || true)
	printf '%s\n' "$out"
	[ -n "$out" ]
}

mkdir -p "$build"
start=$(date +%s)
need_pkgs "${VM_PKGS[@]}" linux-source-6.1 sparse shellcheck bc flex bison \
	python3 perl xz-utils dkms libelf-dev libssl-dev openssl patch \
	stress-ng trinity
src=$("$top/scripts/linux-src.sh")

# make check-debug's guests mostly wait for delayed kobject releases (about
# 85% of the CPU idle): it runs beside everything else, from the start.
debug_log=$build/check-check-debug.log
say "running check-debug in the background (about 25 minutes); its log: ${debug_log#"$top"/}"
rm -f "$build/check-debug/failures.txt"
# Its own session, so that what it started stops with make check.
setsid "$top/scripts/check-debug.sh" >"$debug_log" 2>&1 &
debug_pid=$!
debug_start=$(date +%s)
trap 'kill -- -"$debug_pid" 2>/dev/null || true' EXIT

rels=()
host_kernels=()
rust_rel=
for k in "${kernels[@]}"; do
	need_kernel "$k"
	r=$(kernel_release "$k")
	rels+=("$r")
	if in_chroot_kernel "$r"; then
		rust_rel=$r
	else
		host_kernels+=("$k")
	fi
done
rel=${rels[0]}
# Debian's headers lack the kernel's .clippy.toml (its disallowed methods):
# clippy reads it from linux-source's tree.
clippy_conf=
[ -z "$rust_rel" ] ||
	clippy_conf=$("$top/scripts/linux-src.sh" "$(cut -d. -f1,2 <<<"$rust_rel")")
cd "$top"

say "static gates (after $(($(date +%s) - start)) s of set-up)"
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

if [ -n "$rust_rel" ]; then
	rs_sources=$(git ls-files '*.rs')
	# shellcheck disable=SC2086 # one word per file
	{
		check "rustfmt --check with the kernel's .rustfmt.toml" \
			"$top/scripts/rust-gates.sh" fmt $rs_sources
		check "Rust: a //! comment on every file, /// on every public item" \
			"$top/scripts/rust-gates.sh" docs $rs_sources
		check "Rust: // SAFETY: on every unsafe block, # Safety on every unsafe fn" \
			"$top/scripts/rust-gates.sh" safety $rs_sources
	}
fi

# Rebuild from scratch so W=1 sees every file; sparse then checks them all.
# The kernel with Rust builds with clippy too, and must build the Rust twin.
for r in "${rels[@]}"; do
	rm -rf "$build/kmod/$r"
	if [ "$r" = "$rust_rel" ]; then
		check "$r: build with W=1 and CLIPPY=1, no warnings" \
			quiet kmake "$r" -s modules W=1 CLIPPY=1 \
			CLIPPY_CONF_DIR="$clippy_conf"
		check "$r: the build made hellodev_rust.ko" \
			test -e "$build/kmod/$r/hellodev_rust.ko"
		# checker-valid.sh, in the kernel source, not in Debian's headers.
		skip "$r: sparse (C=2), no warnings" \
			"7.3 needs a sparse that knows __typeof_unqual__; Debian 13's sparse 0.6.4 does not"
	else
		check "$r: build with W=1, no warnings" \
			quiet kmake "$r" -s modules W=1
		check "$r: sparse (C=2), no warnings" \
			quiet kmake "$r" -s modules C=2
	fi
done

# Each Rust gate must fail on sources that break it.
if [ -n "$rust_rel" ]; then
	check "the clippy build applies the kernel's .clippy.toml (fails on CStr::as_ptr)" \
		build_gate_fails clippy-conf rust/print.rs \
		's/FORMAT.as_char_ptr(),/FORMAT.as_ptr().cast(),/' W=1 CLIPPY=1 \
		CLIPPY_CONF_DIR="$clippy_conf"
	check "the rustfmt gate fails on a misformatted line" rust_gate_fails fmt \
		common/hellodev.rs 's/^pub(crate) const NAME_MAX: usize = 32;/pub(crate) const NAME_MAX : usize=32;/'
	check "the doc gate fails on an item without a /// comment" rust_gate_fails docs \
		common/hellodev.rs '/^\/\/\/ Longest node name, in bytes\.$/d'
	check "the SAFETY gate fails on an unsafe block without // SAFETY:" \
		rust_gate_fails safety rust/cred.rs 's/SAFETY:/Note:/'
	check "the clippy build fails on an unsafe block without // SAFETY:" \
		build_gate_fails clippy rust/cred.rs 's/SAFETY:/Note:/' W=1 CLIPPY=1 \
		CLIPPY_CONF_DIR="$clippy_conf"
	# shellcheck disable=SC2016 # a sed script, not the shell's
	check "the W=1 build fails on a public Rust item without docs" \
		build_gate_fails w1 variants/rust_misc.rs '$a pub fn undocumented() {}' W=1
fi

suite kunit "$top/scripts/kunit.sh"
for k in "${kernels[@]}"; do
	suite "vmtest-$k" env KERNEL="$k" "$top/scripts/vmtest.sh"
done
# DKMS runs on this machine, whose compiler cannot build for Debian 13's
# kernel: it covers this machine's kernels.
suite dkms env KERNELS="${host_kernels[*]}" "$top/scripts/dkmstest.sh"
for k in "${kernels[@]}"; do
	suite "bench-smoke-$k" env KERNEL="$k" "$top/scripts/bench.sh" --smoke
done
for k in "${kernels[@]}"; do
	suite "racetest-$k" env KERNEL="$k" "$top/scripts/racetest.sh"
	suite "fuzztest-$k" env KERNEL="$k" "$top/scripts/fuzztest.sh"
done


for r in "$rel" ${rust_rel:+"$rust_rel"}; do
	check "$r: guest log gate fails a run that logs a Call Trace" \
		gate_fails "$r" 'echo l >/proc/sysrq-trigger'
	check "$r: guest log gate fails a run with a taint other than O and E" \
		gate_fails "$r" 'echo 1 >/proc/sys/kernel/tainted'
done
check "vm.sh stops and fails a guest that hangs in boot, at its deadline" \
	boot_hang_fails
check "fuzztest stops a trinity that never ends: a spin is run again once, a block fails" \
	trinity_limit_works
for k in "${kernels[@]}"; do
	variants=(misc cdev debugfs)
	[ "$(kernel_release "$k")" != "$rust_rel" ] || variants+=(rust)
	for v in "${variants[@]}"; do
		check "make demo VARIANT=$v KERNEL=$k shows the seed's session" \
			demo_shows_seed "$v" "$k"
	done
done

say "waiting for check-debug"
wait "$debug_pid" || true
# What failed there and why, as check-debug.sh collects it (a failed
# test's own lines, a failed log gate's report); at most 80 lines.
if [ -s "$build/check-debug/failures.txt" ]; then
	head -n 80 "$build/check-debug/failures.txt"
fi
last=$(grep -E ': [0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$' "$debug_log" | tail -n 1 || true)
say "${last:-check-debug: no result line}"
add_counts "${last:-check-debug: no result line (see $debug_log)}"
# Its own time: its log's last write, not when this script got to it.
say "check-debug took $(($(stat -c %Y "$debug_log") - debug_start)) s, beside the rest"

say "make check took $(($(date +%s) - start)) s"
if [ ${#failed[@]} -gt 0 ]; then
	say "failed:"
	printf '  %s\n' "${failed[@]}" >&2
fi
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
