#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The conformance suite, fault injection over every init step, load/unload
# cycles, lockdown and a debugfs=off boot, all on a KASAN/lockdep/kmemleak
# debug kernel built from linux-source-6.1 (cached under build/debug-kernel/).
# Ends with "check-debug: N passed, N failed, N skipped".
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$(dirname "$0")/common.sh"

fragment=$top/scripts/debug.config
jobs=$(nproc)

# kernel_patch - the one fix the debug kernel carries. Fault injection in
# class_create() makes kset_register() fail, and 6.1 then leaks the kset's
# name (kmemleak finds it); upstream fixed it in v6.2 (1662cea4623f "kset:
# fix memory leak when kset_register() returns error"), not in 6.1.y. The
# kernel built here calls kset_register() only from drivers/base/{bus,class}.c,
# which do not free the name themselves, so freeing it here is safe.
kernel_patch() {
	cat <<'PATCH'
--- a/lib/kobject.c
+++ b/lib/kobject.c
@@ -857,8 +857,12 @@ int kset_register(struct kset *k)
 
 	kset_init(k);
 	err = kobject_add_internal(&k->kobj);
-	if (err)
+	if (err) {
+		/* hellodev check-debug: as upstream 1662cea4623f */
+		kfree_const(k->kobj.name);
+		k->kobj.name = NULL;
 		return err;
+	}
 	kobject_uevent(&k->kobj, KOBJ_ADD);
 	return 0;
 }
PATCH
}

# kernel_key SRC - what the cached kernel depends on: the fragment, the
# patch, the source version and the compiler.
kernel_key() {
	{
		cat "$fragment"
		kernel_patch
		make -s -C "$1" kernelversion
		dpkg-query -W -f='${Version}\n' linux-source-6.1
		gcc --version | head -n 1
	} | sha256sum | cut -c1-16
}

# verify_config CONFIG - every line of the fragment must be in CONFIG as
# written (an "is not set" line: the option must not be set).
verify_config() {
	local line opt bad=0

	while IFS= read -r line; do
		case $line in
		'# CONFIG_'*' is not set')
			opt=${line#\# }
			opt=${opt%% *}
			if grep -q "^$opt=" "$1"; then
				say "debug config: $opt is set, the fragment says not"
				bad=1
			fi
			;;
		CONFIG_*)
			if ! grep -qxF "$line" "$1"; then
				say "debug config: wanted $line, got: $(grep "^${line%%=*}=" "$1" || echo 'not set')"
				bad=1
			fi
			;;
		esac
	done <"$fragment"
	return "$bad"
}

# build_kernel TREE DIR - configure and build the debug kernel in DIR/obj,
# from a copy of TREE (hard links, but for the patched file) in DIR/src.
build_kernel() {
	local tree=$1 src=$2/src dir=$2/obj log=$2/build.log start

	mkdir -p "$dir"
	start=$(date +%s)
	say "building the debug kernel in ${2#"$top"/} (cold: 4 to 8 minutes on 2 cores; log: build.log there)"
	rm -rf "$src"
	cp -al "$tree" "$src"
	# patch(1) writes a new file: the shared tree keeps its own.
	kernel_patch | patch -s -p1 -d "$src" ||
		die "the kernel patch does not apply to $tree"
	if ! {
		make -C "$src" O="$dir" ARCH=x86_64 tinyconfig &&
			"$src/scripts/kconfig/merge_config.sh" -m -O "$dir" \
				"$dir/.config" "$fragment" &&
			make -C "$src" O="$dir" ARCH=x86_64 olddefconfig
	} >"$log" 2>&1; then
		tail -n 30 "$log" >&2
		die "configuring the debug kernel failed"
	fi
	verify_config "$dir/.config" ||
		die "olddefconfig dropped options of scripts/debug.config (see above)"
	if ! make -C "$src" O="$dir" ARCH=x86_64 -j"$jobs" >>"$log" 2>&1; then
		grep -E 'error|Error' "$log" | tail -n 30 >&2
		die "building the debug kernel failed; see $log"
	fi
	[ "$(stat -c %i "$tree/lib/kobject.c")" != "$(stat -c %i "$src/lib/kobject.c")" ] ||
		die "patching $src changed the shared tree $tree"
	touch "$2/.hellodev-built"
	say "debug kernel built in $(($(date +%s) - start)) s"
}

need_pkgs "${VM_PKGS[@]}" linux-source-6.1 bc flex bison libelf-dev \
	libssl-dev openssl patch
mkdir -p "$build/debug-kernel"
src=$("$top/scripts/linux-src.sh")
key=$(kernel_key "$src")
cache=$build/debug-kernel/$key
kdir=$cache/obj

# One build at a time per key.
exec 9>"$build/debug-kernel/.lock-$key"
flock 9
if [ -e "$cache/.hellodev-built" ]; then
	say "reusing the debug kernel in ${cache#"$top"/}"
else
	build_kernel "$src" "$cache"
fi
verify_config "$kdir/.config" || die "cached debug kernel does not match scripts/debug.config"
exec 9>&-
ok_checks=1
rel=$(sed -n 's/.*"\(.*\)".*/\1/p' "$kdir/include/generated/utsrelease.h")
image=$kdir/arch/x86/boot/bzImage

say "building the modules and the test programs for $rel"
rm -rf "$build/kmod/$rel"
if ! make -s -C "$top" modules KDIR="$kdir" >"$build/kbuild-debug.log" 2>&1; then
	cat "$build/kbuild-debug.log" >&2
	die "module build against the debug kernel failed"
fi
out=$build/check-debug
rm -rf "$out"
mkdir -p "$out/stage/hellodev"
cp "$build/kmod/$rel"/hellodev_*.ko "$out/stage/hellodev/"
# Each unload waits 2 to 8 s here (DEBUG_KOBJECT_RELEASE delays the module
# kobject and its holders directory): a longer per-test time-out.
gcc -static -O2 -Wall -Werror -DHELLODEV_TEST_TIMEOUT=900 \
	-I"$src/tools/testing/selftests" -o "$out/stage/hellodev/hellodev_test_part" \
	"$top/tests/hellodev_test_part.c" -lpthread
gcc -static -O2 -Wall -Wextra -Werror -o "$out/stage/hellodev/hellodev_fault" \
	"$top/tests/hellodev_fault.c"

# stage NAME COMMAND... - a stage for one boot whose job runs the commands,
# each KTAP stream after a "@@ktap NAME" line.
stage() {
	local dir=$out/$1 line

	shift
	mkdir -p "$dir/stage"
	cp -a "$out/stage/." "$dir/stage/"
	{
		echo '#!/bin/sh'
		echo 'mount -t securityfs securityfs /sys/kernel/security'
		for line in "$@"; do
			echo "echo '@@ktap ${line%%:*}'"
			echo "${line#*:}"
		done
	} >"$dir/stage/hellodev/run.sh"
	chmod +x "$dir/stage/hellodev/run.sh"
}

# Start-up lines of this debug kernel that vm.sh's patterns ("kmemleak:",
# "lockdep") match although they report nothing; matched whole, so a real
# kmemleak or lockdep report still fails the gate.
benign='^(\[ *[0-9.]+\] )?(kmemleak: Kernel memory leak detector initialized \(mem pool available: [0-9]+\)|rcu: 	RCU lockdep checking is enabled\.)$'

# benign_filter_ok - the benign pattern takes the banners, and no report.
benign_filter_ok() {
	local banners reports

	banners=$'kmemleak: Kernel memory leak detector initialized (mem pool available: 14824)\n[    0.000000] rcu: \tRCU lockdep checking is enabled.'
	reports=$'kmemleak: 1 new suspected memory leaks (see /sys/kernel/debug/kmemleak)\nODEBUG: free active (active state 0) object type: timer_list hint: kobject_delayed_cleanup+0x0/0x130\nrcu: RCU lockdep checking is enabled. WARNING: suspicious RCU usage\nkmemleak: Kernel memory leak detector initialized (mem pool available: 1) BUG'
	! grep -Evq "$benign" <<<"$banners" &&
		[ "$(grep -Evc "$benign" <<<"$reports")" -eq 4 ]
}
benign_filter_ok || die "the benign-line pattern swallows a report or misses a banner"
ok_checks=$((ok_checks + 1))

# boot NAME [CMDLINE] - boot the debug kernel with the stage of NAME; writes
# its log gate, pass or fail, to NAME/gate.
boot() {
	local dir=$out/$1 rc=0 gate=pass

	"$top/scripts/vm.sh" -k "$rel" -i "$image" -s "$dir/stage" -o "$dir" \
		-t 5400 -b "$benign" -a "${2:-}" 2>"$dir/vm.err" || rc=$?
	# 3: the kernel reported problems; 4: the guest did not finish. Other
	# failures are the tests', which their KTAP reports.
	if [ "$rc" -eq 3 ] || [ "$rc" -eq 4 ]; then
		gate=fail
		say "$1: the log gate failed:"
		cat "$dir/vm.err" >&2
	fi
	printf '%s\n' "$gate" >"$dir/gate"
}

# The conformance suite in three parts, one per frontend, each followed by a
# kmemleak scan; lockdown, which cannot be lowered again, ends the last.
stage suite-misc "conformance-misc:./hellodev_test_part misc" \
	"kmemleak:./hellodev_fault kmemleak"
stage suite-cdev "conformance-cdev:./hellodev_test_part cdev" \
	"kmemleak:./hellodev_fault kmemleak"
stage suite-debugfs "conformance-debugfs:./hellodev_test_part debugfs" \
	"lockdown:./hellodev_fault lockdown"
stage faults "faults:./hellodev_fault faults"
stage cycles "cycles:./hellodev_fault cycles"
stage nodebugfs "debugfs-off:./hellodev_fault debugfs-off"
boots=(suite-misc suite-cdev suite-debugfs faults cycles nodebugfs)

# The guests mostly wait for delayed kobject releases (every unload waits
# 2 to 8 s), so all six boots run at once.
say "booting $rel six times at once (about 15 minutes): the conformance suite in three parts, kmemleak and lockdown; fault injection; 100 load/unload cycles per module; debugfs=off"
pids=()
for b in "${boots[@]}"; do
	cmdline=
	[ "$b" = nodebugfs ] && cmdline=debugfs=off
	boot "$b" "$cmdline" &
	pids+=($!)
done
wait "${pids[@]}" || true

# Count every KTAP stream; each boot's log gate is one more check.
pass=$ok_checks
fail=0
skip=0
for b in "${boots[@]}"; do
	dir=$out/$b
	awk -v dir="$dir" '/^@@ktap / { f = dir "/" $2 ".ktap"; next } f { print > f }' \
		"$dir/job.log"
	gate=$(cat "$dir/gate" 2>/dev/null || echo fail)
	for k in "$dir"/*.ktap; do
		[ -e "$k" ] || continue
		grep '^not ok' "$k" || true
		line=$(ktap_summary "$b/$(basename "$k" .ktap)" "$k" "$gate" || true)
		gate=
		say "$line"
		read -r p f s < <(sed -n 's/.*: \([0-9]*\) passed, \([0-9]*\) failed, \([0-9]*\) skipped$/\1 \2 \3/p' <<<"$line")
		pass=$((pass + ${p:-0}))
		fail=$((fail + ${f:-1}))
		skip=$((skip + ${s:-0}))
	done
	if [ -n "$gate" ]; then
		# No KTAP at all from this boot: the gate and the stream fail.
		say "$b: no test output (see $dir)"
		fail=$((fail + 2))
	fi
done
echo "check-debug: $pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
