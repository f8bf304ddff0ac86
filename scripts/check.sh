#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Every hellodev test: the static gates (checkpatch --strict, kernel-doc, the
# shell linter, lintian on make deb's package, W=1 and sparse for each
# kernel; rustfmt, clippy, doc and SAFETY comments for the Rust twin, each
# proved able to fail), the KUnit suites (C and Rust), the conformance suite
# in each booted kernel (Debian 12's 6.1, 6.12 from bookworm-backports and
# Debian 13's 7.3 from trixie-backports, the only one with Rust), DKMS, the
# .deb (on this machine and in the Debian 13 chroot) and modprobe, the demo of
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

# add_counts LINE - add "...: N passed, N failed, N skipped" to the totals;
# a LINE that is not one counts as a failure.
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

# add_result NAME LOG RC - count a suite from its LOG and exit status RC:
# the log's last line must be its counts, and a suite that exited non-zero
# with no failure counted failed all the same (it died, or a part of it
# that it planned did not report).
add_result() {
	local name=$1 log=$2 rc=$3 last before=$fail

	last=$(tail -n 1 "$log")
	grep -Eq ': [0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$' <<<"$last" ||
		last="$name: no result line at the end (see ${log#"$top"/}); last line: ${last:0:100}"
	add_counts "$last"
	if [ "$rc" -ne 0 ] && [ "$fail" -eq "$before" ]; then
		fail=$((fail + 1))
		failed+=("$name: exited $rc with no failure counted (see ${log#"$top"/})")
	fi
}

# What make check shows of a suite's log: failures (harness "not ok" and
# "FAIL", kunit.py "[FAILED]") and counts; everything else is in the log.
shown='^not ok|^# +FAIL|\[FAILED\]|: [0-9]+ passed|did not report'

# suite NAME CMD... - run a suite that ends with a counts line.
suite() {
	local name=$1 log rc t0=$SECONDS

	shift
	say "running $name"
	log="$build/check-$name.log"
	# Failures are shown as they come.
	set +o pipefail
	# Niced, as KUnit is: the debug kernel's build comes first, so that
	# check-debug's guests, which mostly wait, run beside these.
	nice -n 5 "$@" 2>&1 | tee "$log" | { grep -E "$shown" || true; }
	rc=${PIPESTATUS[0]}
	set -o pipefail
	add_result "$name" "$log" "$rc"
	say "$name took $((SECONDS - t0)) s"
}

# suite_run NAME CMD... - run suite NAME as suite() does, but silently,
# for a lane in the background: its log, and its exit status and time in
# the log's .rc file, for suite_count.
suite_run() {
	local name=$1 rc=0 t0=$SECONDS

	shift
	nice -n 5 "$@" >"$build/check-$name.log" 2>&1 </dev/null || rc=$?
	echo "$rc $((SECONDS - t0))" >"$build/check-$name.rc"
}

# suite_count NAME - show and count suite NAME, which suite_run ran, as
# suite() does. A suite with no .rc file never ended (its lane died):
# it fails, with whatever its log holds.
suite_count() {
	local name=$1 log=$build/check-$1.log rc=1 t=

	[ -e "$log" ] || : >"$log"
	[ ! -s "$build/check-$name.rc" ] || read -r rc t <"$build/check-$name.rc"
	say "$name, run beside the others"
	grep -E "$shown" "$log" || true
	add_result "$name" "$log" "$rc"
	if [ -n "$t" ]; then
		say "$name took $t s"
	else
		say "$name never ended"
	fi
}

# suite_fails NAME CMD... - suite() must count a failure for CMD; the
# totals stay as they were.
suite_fails() {
	local p=$pass f=$fail s=$skip was=("${failed[@]}") got

	suite "$@" >&2
	got=$((fail - f))
	pass=$p fail=$f skip=$s failed=("${was[@]}")
	echo "suite() counted $got failures for: $*"
	[ "$got" -gt 0 ]
}

# lane_fails - suite_count fails a lane's suite that never ended (no exit
# status) and one that exited non-zero, though each log ends with clean
# counts, and passes one that exited 0; the totals stay as they were.
lane_fails() {
	local p=$pass f=$fail s=$skip was=("${failed[@]}") n got=() before

	for n in never exit good; do
		echo "stub $n: 1 passed, 0 failed, 0 skipped" >"$build/check-selftest-lane-$n.log"
		rm -f "$build/check-selftest-lane-$n.rc"
	done
	echo "1 0" >"$build/check-selftest-lane-exit.rc"
	echo "0 0" >"$build/check-selftest-lane-good.rc"
	for n in never exit good; do
		before=$fail
		suite_count "selftest-lane-$n" >&2
		got+=($((fail - before)))
	done
	pass=$p fail=$f skip=$s failed=("${was[@]}")
	echo "suite_count counted failures: never ended ${got[0]}, exited 1 ${got[1]}, exited 0 ${got[2]}"
	[ "${got[0]}" -eq 1 ] && [ "${got[1]}" -eq 1 ] && [ "${got[2]}" -eq 0 ]
}

# The gates and the demo check, each a function that fails with its reason.
# quiet CMD... - succeed if CMD succeeds and prints nothing (but the BTF note
# Debian's headers cause); else show what it printed.
quiet() {
	local log rc=0

	log=$("$@" 2>&1) || rc=$?
	log=$(grep -Ev '^(Skipping BTF generation|hellodev: not building the Rust modules \(hellodev_rust\*\.ko\): .* without CONFIG_RUST$)' <<<"$log" || true)
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

# gate_fails REL CMD FINDING... [-- VM.SH ARG...] - the guest log gate
# must fail a run of kernel REL whose job runs CMD, naming every FINDING (an
# extended regex) in vm.sh's report.
gate_fails() {
	local r=$1 cmd=$2 log rc ok=0 findings=()

	shift 2
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		findings+=("$1")
		shift
	done
	[ $# -eq 0 ] || shift
	log=$(mktemp)
	rc=$(vm_job "$r" "$cmd" -t 300 "$@" 2>"$log")
	cat "$log"
	for f in "${findings[@]}"; do
		grep -Eq "$f" "$log" || { echo "the report does not name '$f'"; ok=1; }
	done
	rm -f "$log"
	[ "$rc" -eq 3 ] && [ "$ok" -eq 0 ]
}

# boot_counts_fail - boot_counts, which counts make check-debug's boots,
# fails a planned stream that printed nothing, a boot whose gate was never
# written and whose job never ran, and passes a good boot.
boot_counts_fail() {
	local d=$build/boot-counts

	rm -rf "$d"
	mkdir -p "$d"/{silent,never,good}
	printf 's1\ns2\n' >"$d/silent/plan"
	echo pass >"$d/silent/gate"
	printf '@@ktap s1\nok 1 - x\n1..1\n@@ktap s2\n' >"$d/silent/job.log"
	echo s1 >"$d/never/plan"
	echo s1 >"$d/good/plan"
	echo pass >"$d/good/gate"
	printf '@@ktap s1\nok 1 - x\n1..1\n' >"$d/good/job.log"
	for b in silent never good; do
		boot_counts "$d/$b"
	done | tee "$d/counts"
	[ "$(grep -c '^silent/s2 planned, but printed nothing: 0 passed, 1 failed' "$d/counts")" -eq 1 ] &&
		[ "$(grep -c '^never/log gate never written .*: 0 passed, 1 failed' "$d/counts")" -eq 1 ] &&
		[ "$(grep -c '^never/s1 planned, but printed nothing: 0 passed, 1 failed' "$d/counts")" -eq 1 ] &&
		[ "$(grep -c ': 0 passed, 1 failed' "$d/counts")" -eq 3 ] &&
		[ "$(grep -c '^good/.*: 1 passed, 0 failed, 0 skipped$' "$d/counts")" -eq 2 ]
}

# ktap_nested_counts - ktap_summary counts KUnit's nested KTAP by its
# leaves: each parameter of a case once, a failing parameter, a suite that
# failed with no failing case and a suite cut off before its result (a
# crash) each one failure, and a clean run of the same shape passes.
ktap_nested_counts() {
	local d=$build/ktap-nested good

	rm -rf "$d"
	mkdir -p "$d"
	good='KTAP version 1
1..2
    KTAP version 1
    # Subtest: s1
    1..2
        KTAP version 1
        # Subtest: params
        ok 1 p 1
        ok 2 p 2
    ok 1 params
    ok 2 plain
ok 1 s1
    KTAP version 1
    # Subtest: s2
    1..1
    ok 1 only
ok 2 s2'
	printf '%s\n' "$good" >"$d/good"
	sed 's/^        ok 2 p 2/        not ok 2 p 2/' "$d/good" >"$d/param"
	sed 's/^ok 2 s2/not ok 2 s2/' "$d/good" >"$d/suite"
	head -n 9 "$d/good" >"$d/crash"
	for k in good param suite crash; do
		ktap_summary "$k" "$d/$k" || true
	done | tee "$d/counts"
	grep -qx 'good: 4 passed, 0 failed, 0 skipped' "$d/counts" &&
		grep -qx 'param: 3 passed, 1 failed, 0 skipped' "$d/counts" &&
		grep -qx 'suite: 4 passed, 1 failed, 0 skipped' "$d/counts" &&
		grep -Eqx 'crash: 2 passed, [1-9][0-9]* failed, 0 skipped' "$d/counts"
}

# dkms_gate_counts - dkmstest.sh counts its guest's log gate: a guest that
# logs a Call Trace fails that check and no other.
dkms_gate_counts() {
	local log rc=0

	log=$(KERNELS=6.1 HELLODEV_DKMSTEST_GUEST_CMD='echo l >/proc/sysrq-trigger' \
		"$top/scripts/dkmstest.sh" 2>&1) || rc=$?
	grep -E '^not ok|dkms: ' <<<"$log"
	[ "$rc" -ne 0 ] && [ "$(grep -c '^not ok' <<<"$log")" -eq 1 ] &&
		grep -q '^not ok [0-9]* - .*: guest kernel log clean' <<<"$log"
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
# the kernel): the spin is said, killed and run again, 4 runs in all, the
# block fails with its kernel stack, every calls check fails, and each
# module still unloads and loads again.
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
	# Up to 1200 s: a cold run, beside 15 debug guests booting, did not
	# finish in 600 (one spin said); no time is measured.
	"$top/scripts/vm.sh" -k "$rel" -s "$stage" -o "$stage/out" -t 1200 || rc=$?
	log=$(cat "$stage/out/job.log" 2>/dev/null || true)
	rm -rf "$stage"
	printf '%s\n' "$log"
	# 0: the guest finished, its kernel log clean (3: a report, 4: hang).
	[ "$rc" -eq 0 ] &&
		[ "$(grep -c '^# trinity run [1-4] spun after 3 s: its children in user space' <<<"$log")" -eq 4 ] &&
		[ "$(grep -c '^# FAIL trinity spun in each of its 4 runs$' <<<"$log")" -eq 1 ] &&
		[ "$(grep -c '^# FAIL trinity did not end in 3 s' <<<"$log")" -eq 2 ] &&
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

# The static gates, each a function run on the tree in DIR: the work tree
# for the gate itself, a mutant of it (mutant) for the proof that the gate
# rejects what it is there to reject, through the same command.

# gate_checkpatch DIR FILE - checkpatch --strict on FILE.
gate_checkpatch() {
	local ignore=()

	# The compat header exists to compare kernel versions.
	[ "$2" != variants/compat.h ] || ignore=(--ignore=LINUX_VERSION_CODE)
	(cd "$1" && perl "$src/scripts/checkpatch.pl" --no-tree --strict --quiet \
		"${ignore[@]}" -f "$2")
}

# gate_kdoc DIR - kernel-doc warns about nothing in the C sources.
gate_kdoc() {
	# shellcheck disable=SC2046 # one word per file
	(cd "$1" && quiet perl "$src/scripts/kernel-doc" -none $(git -C "$top" ls-files '*.c' '*.h'))
}

# gate_constants DIR - the defaults and limits, written once per language,
# agree: the C core (common/hellodev.h), the Rust core (common/hellodev.rs)
# and the tests (tests/hellodev_lib.h) give each one value, and the C and
# Rust parameter descriptions (MODULE_PARM_DESC, module_param!'s desc) are
# the same text and state those values. Names each disagreement.
gate_constants() {
	local k c r t bad=0 p cd rd

	for k in NAME_MAX GREETING_MAX DEFAULT_GREETING DEFAULT_MODE; do
		c=$(sed -n "s/^#define HELLODEV_${k}[[:space:]]*\(.*\)$/\1/p" "$1/common/hellodev.h")
		r=$(sed -n "s/^pub(crate) const $k: [^=]*= \(.*\);$/\1/p" "$1/common/hellodev.rs" |
			sed 's/^c"/"/; s/^0o/0/')
		t=$(sed -n "s/^#define HD_${k}[[:space:]]*\(.*\)$/\1/p" "$1/tests/hellodev_lib.h")
		if [ -z "$c" ] || [ "$c" != "$r" ] || [ "$c" != "$t" ]; then
			echo "$k: C ${c:-missing}, Rust ${r:-missing}, tests ${t:-missing}"
			bad=1
		fi
	done
	# Each Rust twin: every parameter of its C twin, described alike.
	for t in misc cdev debugfs; do
		r=rust_$t
		[ "$t" != misc ] || r=rust_misc
		# shellcheck disable=SC2013 # one parameter name a word
		for p in $(sed -n 's/^MODULE_PARM_DESC(\([a-z_]*\), .*/\1/p' \
			"$1/common/hellodev.c" "$1/variants/$t.c"); do
			cd=$(cat "$1/common/hellodev.c" "$1/variants/$t.c" |
				sed -n "s/^MODULE_PARM_DESC($p, \(\".*\"\));$/\1/p")
			rd=$(awk -v p="$p" '$0 ~ "^    name: \"" p "\",$" { getline; sub(/^    desc: /, ""); sub(/,$/, ""); print }' \
				"$1/variants/$r.rs")
			if [ -z "$cd" ] || [ "$cd" != "$rd" ]; then
				echo "parameter $p of $t: C desc ${cd:-missing}, Rust desc ${rd:-missing}"
				bad=1
			fi
		done
	done
	c=$(sed -n 's/^#define HELLODEV_NAME_MAX[[:space:]]*//p' "$1/common/hellodev.h")
	grep -q "^MODULE_PARM_DESC(name, \"Node name, 1-$c of " "$1/common/hellodev.c" ||
		{ echo "name's description does not give the limit $c"; bad=1; }
	c=$(sed -n 's/^#define HELLODEV_GREETING_MAX[[:space:]]*//p' "$1/common/hellodev.h")
	t=$(sed -n 's/^#define HELLODEV_DEFAULT_GREETING[[:space:]]*"\(.*\)"$/\1/p' "$1/common/hellodev.h")
	grep -Fq "MODULE_PARM_DESC(greeting, \"Text read back, then a newline; 1-$c bytes (default: \\\"$t\\\")\");" \
		"$1/common/hellodev.c" ||
		{ echo "greeting's description does not give the limit $c and the default \"$t\""; bad=1; }
	return "$bad"
}

# gate_kdoc_cover DIR - every non-static function has kernel-doc.
gate_kdoc_cover() {
	(cd "$1" && "$top/scripts/kdoc-cover.sh" common/*.c variants/*.c rust/*.c tests/hellodev_lib.c)
}

# gate_shellcheck DIR - the scripts are shellcheck clean.
gate_shellcheck() {
	# shellcheck disable=SC2046 # one word per file
	(cd "$1" && shellcheck -x $(git -C "$top" ls-files 'scripts/*.sh' 'tests/*.sh' .ci/run))
}

# gate_deb DIR - make deb's package of the tree in DIR builds, and lintian
# reports no error and no warning on it (scripts/deb.sh).
gate_deb() {
	"$top/scripts/deb.sh" -t "$1" >/dev/null
}

# gate_rust DIR GATE - scripts/rust-gates.sh GATE (fmt, docs, safety) on
# every Rust file.
gate_rust() {
	# shellcheck disable=SC2046 # one word per file
	(cd "$1" && "$top/scripts/rust-gates.sh" "$2" $(git -C "$top" ls-files '*.rs'))
}

# gate_build DIR RELEASE - a build from scratch for RELEASE with W=1 (and
# CLIPPY=1 with the kernel's .clippy.toml for the kernel with Rust) prints
# nothing.
gate_build() {
	local args=(-s modules W=1)

	rm -rf "$1/build/kmod/$2"
	[ "$2" != "$rust_rel" ] || args+=(CLIPPY=1 CLIPPY_CONF_DIR="$clippy_conf")
	quiet kmake_in "$1" "$2" "${args[@]}"
}

# gate_sparse DIR RELEASE - sparse (C=2: every file) prints nothing.
gate_sparse() {
	quiet kmake_in "$1" "$2" -s modules C=2
}

# mutant NAME FILE SED - print a copy of the work tree (its tracked files
# but docs/) in build/gates/NAME/ in which sed script SED changed FILE.
mutant() {
	local dir=$build/gates/$1

	rm -rf "$dir"
	mkdir -p "$dir"
	git -C "$top" ls-files -z -- ':!docs' | (cd "$top" && xargs -0 cp --parents -t "$dir")
	sed -i "$3" "$dir/$2"
	if cmp -s "$top/$2" "$dir/$2"; then
		echo "the mutation of $2 changed nothing"
		return 1
	fi
	printf '%s\n' "$dir"
}

# gate_rejects FILE SED FINDING GATE [ARG]... - gate function GATE, run on
# a mutant in which SED changed FILE (as "GATE MUTANT ARG..."), must fail
# and name FINDING (an extended regex) in its output.
gate_rejects() {
	local file=$1 sed=$2 finding=$3 gate=$4 dir out rc=0

	shift 4
	dir=$(mutant "$gate" "$file" "$sed") || return 1
	out=$("$gate" "$dir" "$@" 2>&1) || rc=$?
	rm -rf "$dir"
	printf '%s\n' "$out" | tail -n 20
	if [ "$rc" -eq 0 ]; then
		echo "$gate passed $file changed by '$sed'"
		return 1
	fi
	grep -Eq "$finding" <<<"$out" || {
		echo "$gate failed, but without naming '$finding'"
		return 1
	}
}

# brief_failures FILE - check-debug's failures.txt, each line "BOOT: ...":
# per boot, every line of its first two failures (a "not ok" line or a log
# gate's report and the lines under it; 120 lines in all), then one line
# naming the others.
brief_failures() {
	awk '
		{
			boot = $1
			sub(/:$/, "", boot)
			head = ($2 == "not" && $3 == "ok") || / the log gate failed /
			if (head)
				seen[boot]++
			if (seen[boot] <= 2) {
				if (++lines <= 120)
					print
			} else if (head) {
				if (!(boot in more))
					order[++nb] = boot
				more[boot] = more[boot] " " ($2 == "not" ? $5 : "log-gate")
				count[boot]++
			}
		}
		END {
			for (i = 1; i <= nb; i++)
				printf "%s: %d more failed:%s\n", order[i], count[order[i]], more[order[i]]
		}' "$1"
}

mkdir -p "$build"
start=$(date +%s)
need_pkgs "${VM_PKGS[@]}" linux-source-6.1 sparse shellcheck bc flex bison \
	python3 perl xz-utils dkms libelf-dev libssl-dev openssl patch \
	stress-ng trinity dpkg-dev debhelper dh-dkms lintian
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
rust_rel=
for k in "${kernels[@]}"; do
	need_kernel "$k"
	r=$(kernel_release "$k")
	rels+=("$r")
	if in_chroot_kernel "$r"; then
		rust_rel=$r
	fi
done
rel=${rels[0]}
# Debian's headers lack the kernel's .clippy.toml (its disallowed methods):
# clippy reads it from linux-source's tree.
clippy_conf=
[ -z "$rust_rel" ] ||
	clippy_conf=$("$top/scripts/linux-src.sh" "$(cut -d. -f1,2 <<<"$rust_rel")")
cd "$top"

# KUnit's three kernel builds and boots need nothing the gates or the
# guests below make: it runs beside them, so that the whole run does not
# wait for it (its own lock keeps a second kunit.sh of this clone waiting).
kunit_log=$build/check-kunit.log
say "running kunit in the background; its log: ${kunit_log#"$top"/}"
# Niced: on a cold machine the debug kernel's build (check-debug, above) is
# the long pole; once it is built, check-debug's guests mostly wait, and
# KUnit has until the booted suites end.
setsid nice -n 10 "$top/scripts/kunit.sh" >"$kunit_log" 2>&1 &
kunit_pid=$!
kunit_start=$(date +%s)
trap 'kill -- -"$debug_pid" -"$kunit_pid" 2>/dev/null || true' EXIT

say "static gates (after $(($(date +%s) - start)) s of set-up)"
for f in $(git ls-files '*.c' '*.h'); do
	check "checkpatch --strict $f" gate_checkpatch "$top" "$f"
done
check "kernel-doc: no warnings" gate_kdoc "$top"
check "kernel-doc on every non-static function" gate_kdoc_cover "$top"
check "shellcheck" gate_shellcheck "$top"
check "constants: C, Rust and the tests agree on every default and limit" \
	gate_constants "$top"
check "make deb: hellodev-dkms builds, lintian reports no error and no warning" \
	gate_deb "$top"
if [ -n "$rust_rel" ]; then
	check "rustfmt --check with the kernel's .rustfmt.toml" gate_rust "$top" fmt
	check "Rust: a //! comment on every file, /// on every public item" \
		gate_rust "$top" docs
	check "Rust: // SAFETY: on every unsafe block, # Safety on every unsafe fn" \
		gate_rust "$top" safety
fi

# Rebuild from scratch so W=1 sees every file; sparse then checks them all.
# The kernel with Rust builds with clippy too, and must build the Rust twin.
for r in "${rels[@]}"; do
	if [ "$r" = "$rust_rel" ]; then
		check "$r: build with W=1 and CLIPPY=1, no warnings" gate_build "$top" "$r"
		for m in hellodev_rust hellodev_rust_cdev hellodev_rust_debugfs; do
			check "$r: the build made $m.ko" test -e "$build/kmod/$r/$m.ko"
		done
		# checker-valid.sh, in the kernel source, not in Debian's headers.
		skip "$r: sparse (C=2), no warnings" \
			"7.3 needs a sparse that knows __typeof_unqual__; Debian 13's sparse 0.6.4 does not"
	else
		check "$r: build with W=1, no warnings" gate_build "$top" "$r"
		check "$r: sparse (C=2), no warnings" gate_sparse "$top" "$r"
	fi
done

# Each gate must reject a mutant that breaks it, through the same function,
# naming its own finding.
check "the checkpatch gate rejects trailing white space" \
	gate_rejects common/hellodev.c 's/^#include <linux\/ratelimit.h>$/& /' \
	'ERROR: trailing whitespace' gate_checkpatch common/hellodev.c
check "the kernel-doc gate rejects an undescribed parameter" \
	gate_rejects common/hellodev.c '/^ \* @privileged: /d' \
	"warning: Function parameter or (struct )?member 'privileged' not described" gate_kdoc
check "the kernel-doc coverage gate rejects a function without kernel-doc" \
	gate_rejects common/hellodev.c 's/^ \* hellodev_open_count() - / * hellodev_open_cnt() - /' \
	'hellodev_open_count\(\) has no kernel-doc' gate_kdoc_cover
check "the constants gate rejects a Rust limit unlike C's" \
	gate_rejects common/hellodev.rs 's/^pub(crate) const NAME_MAX: usize = 32;$/pub(crate) const NAME_MAX: usize = 31;/' \
	'NAME_MAX: C 32, Rust 31, tests 32' gate_constants
check "the constants gate rejects a Rust parameter description unlike C's" \
	gate_rejects variants/rust_misc.rs 's/1-4095 bytes/1-4096 bytes/' \
	'parameter greeting of misc: C desc .*4095.*, Rust desc .*4096' gate_constants
# shellcheck disable=SC2016 # a script for sed or the guest, not this shell
check "the shellcheck gate rejects an unquoted expansion" \
	gate_rejects scripts/vmtest.sh 's/^series=${KERNEL:-6.1}$/&\ncd $series/' \
	'SC2086' gate_shellcheck
check "the lintian gate rejects a warning (the first entry closes no ITP, not overridden)" \
	gate_rejects debian/hellodev-dkms.lintian-overrides \
	'/^hellodev-dkms: initial-upload-closes-no-bugs$/d' \
	'W: hellodev-dkms: initial-upload-closes-no-bugs' gate_deb
check "the lintian gate rejects an error (a Maintainer without an address)" \
	gate_rejects debian/control 's/^Maintainer: .*/Maintainer: hellodev developers/' \
	'E: hellodev-dkms: malformed-contact' gate_deb
# shellcheck disable=SC2016 # a script for sed or the guest, not this shell
check "$rel: the W=1 gate rejects a function without a prototype" \
	gate_rejects variants/misc.c '$a int hellodev_no_prototype(void) { return 0; }' \
	"no previous prototype for .hellodev_no_prototype." gate_build "$rel"
# shellcheck disable=SC2016 # a script for sed or the guest, not this shell
check "$rel: the sparse gate rejects a global that should be static" \
	gate_rejects variants/misc.c '$a int hellodev_not_static;' \
	"symbol 'hellodev_not_static' was not declared. Should it be static\?" gate_sparse "$rel"
if [ -n "$rust_rel" ]; then
	check "the rustfmt gate rejects a misformatted line" \
		gate_rejects common/hellodev.rs 's/^pub(crate) const NAME_MAX: usize = 32;/pub(crate) const NAME_MAX : usize=32;/' \
		'^Diff in .*hellodev\.rs' gate_rust fmt
	check "the doc gate rejects an item without a /// comment" \
		gate_rejects common/hellodev.rs '/^\/\/\/ Longest node name, in bytes\.$/d' \
		'hellodev\.rs:[0-9]+: no /// doc comment: pub\(crate\) const NAME_MAX' gate_rust docs
	check "the SAFETY gate rejects an unsafe block without // SAFETY:" \
		gate_rejects rust/cred.rs 's/SAFETY:/Note:/' \
		'cred\.rs:[0-9]+: unsafe without a // SAFETY: comment' gate_rust safety
	check "$rust_rel: the clippy gate rejects an unsafe block without // SAFETY:" \
		gate_rejects rust/cred.rs 's/SAFETY:/Note:/' \
		'unsafe block missing a safety comment' gate_build "$rust_rel"
	check "$rust_rel: the clippy gate applies the kernel's .clippy.toml (CStr::as_ptr)" \
		gate_rejects rust/print.rs 's/FORMAT.as_char_ptr(),/FORMAT.as_ptr().cast(),/' \
		'use of a disallowed method' gate_build "$rust_rel"
	# shellcheck disable=SC2016 # a script for sed or the guest, not this shell
	check "$rust_rel: the W=1 gate rejects a public Rust item without docs" \
		gate_rejects variants/rust_misc.rs '$a pub fn undocumented() {}' \
		'missing documentation for a function' gate_build "$rust_rel"
fi

# The counting itself: a suite that dies, or a part that never reports,
# is a failure.
check "suite() fails a suite that exits non-zero after a clean counts line" \
	suite_fails selftest-exit bash -c 'echo "stub: 1 passed, 0 failed, 0 skipped"; exit 1'
check "suite() fails a suite whose last line is not its counts" \
	suite_fails selftest-last bash -c 'echo "stub: 1 passed, 0 failed, 0 skipped"; echo died'
check "suite_count fails a lane's suite that never ended or exited non-zero" lane_fails
check "check-debug's counts fail a stream that printed nothing and a boot that never ran" \
	boot_counts_fail
check "ktap_summary counts KUnit's nested KTAP by its leaves, and fails a crash" \
	ktap_nested_counts

# The booted suites, in two lanes at once: the kernel with Rust's (unless
# it is the first, whose vmtest is the newcomer's) and DKMS in the
# background, about half of the time, and the others here. Once
# check-debug's guests are done, one lane alone would leave a core idle.
# A kernel's suites stay in one lane: they build into its build/kmod/
# (DKMS builds in its own tree).
# booted RUN NAME - run booted suite NAME (dkms, or vmtest-K,
# bench-smoke-K, racetest-K or fuzztest-K for kernel K) with RUN: suite
# here, suite_run in the lane.
booted() {
	local run=$1 name=$2 k=${2##*-}

	case $name in
	dkms) "$run" dkms env KERNELS="${kernels[*]}" "$top/scripts/dkmstest.sh" ;;
	vmtest-*) "$run" "$name" env KERNEL="$k" "$top/scripts/vmtest.sh" ;;
	bench-smoke-*) "$run" "$name" env KERNEL="$k" "$top/scripts/bench.sh" --smoke ;;
	racetest-*) "$run" "$name" env KERNEL="$k" "$top/scripts/racetest.sh" ;;
	fuzztest-*) "$run" "$name" env KERNEL="$k" "$top/scripts/fuzztest.sh" ;;
	*) die "no booted suite $name" ;;
	esac
}

lane_k=
lane_pid=
[ -z "$rust_rel" ] || [ ${#kernels[@]} -lt 2 ] ||
	for k in "${kernels[@]:1}"; do
		[ "$(kernel_release "$k")" != "$rust_rel" ] || lane_k=$k
	done
# The kernels whose suites run here.
here=()
for k in "${kernels[@]}"; do
	[ "$k" = "$lane_k" ] || here+=("$k")
done
lane=()
if [ -n "$lane_k" ]; then
	lane=("vmtest-$lane_k" dkms "bench-smoke-$lane_k" "racetest-$lane_k" "fuzztest-$lane_k")
	for n in "${lane[@]}"; do
		rm -f "$build/check-$n.rc"
	done
	say "running ${lane[*]} in the background, beside the other kernels' suites"
	# Its own process group, so that what it started stops with make check.
	set -m
	(
		for n in "${lane[@]}"; do
			booted suite_run "$n"
		done
	) &
	lane_pid=$!
	set +m
	trap 'kill -- -"$debug_pid" -"$kunit_pid" -"$lane_pid" 2>/dev/null || true' EXIT
fi

# The first kernel's vmtest runs as a newcomer's first command would, by
# make, in a copy of the tree that has no build/ (git's files, as they are
# in the working tree).
scratch=$build/scratch
rm -rf "$scratch"
mkdir -p "$scratch"
git -C "$top" ls-files -z -co --exclude-standard |
	(cd "$top" && cpio -0pdm --quiet "$scratch")
for k in "${here[@]}"; do
	if [ "$k" = "${kernels[0]}" ]; then
		suite "vmtest-$k-scratch" make -s -C "$scratch" vmtest KERNEL="$k"
	else
		booted suite "vmtest-$k"
	fi
done
rm -rf "$scratch"
# DKMS and the package: make dkms-install's path on this machine's
# kernels, the .deb on this machine and in the Debian 13 chroot (7.3).
[ -n "$lane_k" ] || booted suite dkms
for k in "${here[@]}"; do
	for n in bench-smoke racetest fuzztest; do
		booted suite "$n-$k"
	done
done
say "waiting for kunit"
kunit_rc=0
wait "$kunit_pid" || kunit_rc=$?
# As suite() shows them: failures and counts; the rest is in the log.
grep -E "$shown" "$kunit_log" || true
add_result kunit "$kunit_log" "$kunit_rc"
say "kunit took $(($(stat -c %Y "$kunit_log") - kunit_start)) s, beside the rest"

for r in "$rel" ${rust_rel:+"$rust_rel"}; do
	check "$r: guest log gate fails a run that logs a Call Trace" \
		gate_fails "$r" 'echo l >/proc/sysrq-trigger' 'Call Trace'
	check "$r: guest log gate fails a run with a taint other than O and E" \
		gate_fails "$r" 'echo 1 >/proc/sys/kernel/tainted' \
		'kernel taint 1 has flags other than O and E'
done
# The gate's own checks, which do not depend on the kernel: on one.
# shellcheck disable=SC2016 # a script for sed or the guest, not this shell
check "$rel: guest log gate fails an RCU stall and a guest that printed no taint" \
	gate_fails "$rel" 'echo "rcu: INFO: rcu_preempt detected stalls on CPUs/tasks:" >/dev/kmsg
umount -l /proc' \
	'rcu: INFO: rcu_preempt detected stalls' 'the guest reported no taint'
# These two write and read back tens of MiB of log, minutes of a loaded
# host's TCG (a cold CI run took over 300 s): up to 1200 s; no time is
# measured.
# shellcheck disable=SC2016 # a script for sed or the guest, not this shell
check "$rel: guest log gate sees a Call Trace logged before 22 MiB of log (busybox dmesg reads 16)" \
	gate_fails "$rel" 'echo l >/proc/sysrq-trigger
L=$(printf "%0899d" 0 | tr 0 x)
yes "$L" | dd of=/dev/kmsg bs=900 count=25000 iflag=fullblock 2>/dev/null' \
	'Call Trace' -- -a printk.devkmsg=on -t 1200
# shellcheck disable=SC2016 # a script for sed or the guest, not this shell
check "$rel: guest log gate fails a run whose kernel log lost records" \
	gate_fails "$rel" 'L=$(printf "%0899d" 0 | tr 0 x)
yes "$L" | dd of=/dev/kmsg bs=900 count=45000 iflag=fullblock 2>/dev/null' \
	'the kernel log lost its oldest records' -- -a printk.devkmsg=on -t 1200
check "suite() fails a KUnit run that ends before every planned config reported" \
	suite_fails kunit-dies env HELLODEV_KUNIT_CONFIGS="um bogus" "$top/scripts/kunit.sh"
check "vm.sh stops and fails a guest that hangs in boot, at its deadline" \
	boot_hang_fails
check "fuzztest stops a trinity that never ends: a spin is run again, 4 runs in all, a block fails" \
	trinity_limit_works
# demos KERNEL... - make demo of every frontend on each KERNEL.
demos() {
	local k v variants

	for k in "$@"; do
		variants=(misc cdev debugfs)
		[ "$(kernel_release "$k")" != "$rust_rel" ] || variants+=(rust rust_cdev rust_debugfs)
		for v in "${variants[@]}"; do
			check "make demo VARIANT=$v KERNEL=$k shows the seed's session" \
				demo_shows_seed "$v" "$k"
		done
	done
}
# The lane's kernel builds in the lane until it ends; DKMS is in the lane.
demos "${here[@]}"
if [ -n "$lane_pid" ]; then
	say "waiting for ${lane[*]}"
	wait "$lane_pid" || true
	for n in "${lane[@]}"; do
		suite_count "$n"
	done
	demos "$lane_k"
fi
check "dkmstest counts its guest log gate" dkms_gate_counts

say "waiting for check-debug"
debug_rc=0
wait "$debug_pid" || debug_rc=$?
# What failed there and why, as check-debug.sh collects it (a failed
# test's own lines, a failed log gate's report): per boot, its first two
# failures in full, since a failed test can make the next ones fail, and
# the names of the rest; the whole list stays in failures.txt.
if [ -s "$build/check-debug/failures.txt" ]; then
	brief_failures "$build/check-debug/failures.txt"
fi
say "check-debug: $(tail -n 1 "$debug_log")"
add_result check-debug "$debug_log" "$debug_rc"
# Its own time: its log's last write, not when this script got to it.
say "check-debug took $(($(stat -c %Y "$debug_log") - debug_start)) s, beside the rest"

say "make check took $(($(date +%s) - start)) s"
if [ ${#failed[@]} -gt 0 ]; then
	say "failed:"
	printf '  %s\n' "${failed[@]}" >&2
fi
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
