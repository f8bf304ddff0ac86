#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Run the hellodev KUnit suites with kunit.py from the linux-source trees
# that scripts/linux-src.sh provides, in three kernels:
#   um          the C suites on UML from linux-source-6.1, kunit.py's
#               default: one CPU, no preemption;
#   x86_64-smp  the C suites on x86_64 under QEMU with SMP and PREEMPT on two
#               vCPUs, the only place the concurrent-open case can catch a
#               racy counter;
#   rust-um     the Rust core's suite (#[kunit_tests]) on UML with Rust, from
#               linux-source-7.3 inside the Debian 13 chroot (scripts/trixie.sh)
#               with the rustc that Debian built 7.3 with.
# HELLODEV_KUNIT_CONFIGS="um rust-um" runs only those, in that order. The
# last line counts every planned config: one that did not report is a
# failure.
# Output: build/kunit/<config>/ (kunit.log is kunit.py's full output,
# results.json its parsed results).
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
out=$build/kunit

mkdir -p "$out"
# One run at a time per build directory: two would build over each other.
exec 9>"$out/.lock"
if ! flock -n 9; then
	echo "kunit: waiting for another kunit run in $out"
	flock 9
fi

need_pkgs linux-source-6.1 python3 gcc make flex bison bc libelf-dev \
	qemu-system-x86

# link_tree TREE - make TREE build our suites. Our files go into it as
# symlinks, so the build always sees the working copy: the C suite's flat
# in drivers/misc/hellodev/, the Rust one's in kunit/, common/ and rust/
# there, where its #[path]s find them as in this tree. Only
# drivers/misc/{Kconfig,Makefile} are edited, once.
link_tree() {
	local tree=$1 dir=$1/drivers/misc/hellodev f kconfig makefile tmp
	local source_line='source "drivers/misc/hellodev/Kconfig"'
	local obj_line="obj-\$(CONFIG_HELLODEV_KUNIT_TEST) += hellodev/"
	local rust_obj_line="obj-\$(CONFIG_HELLODEV_RUST_KUNIT_TEST) += hellodev/"

	mkdir -p "$dir/kunit" "$dir/common" "$dir/rust"
	for f in kunit/Kconfig kunit/Makefile kunit/hellodev_kunit.c \
		 common/hellodev.c common/hellodev.h; do
		ln -sfn "$top/$f" "$dir/${f##*/}"
	done
	for f in kunit/hellodev_rust_kunit.rs common/hellodev.rs rust/*.rs; do
		ln -sfn "$top/$f" "$dir/$f"
	done

	kconfig=$tree/drivers/misc/Kconfig
	if ! grep -qxF "$source_line" "$kconfig"; then
		# Inside the "Misc devices" menu: before its closing endmenu,
		# the last.
		tmp=$(mktemp "$kconfig.XXXXXX")
		awk -v line="$source_line" '
			{ lines[NR] = $0; if ($0 == "endmenu") last = NR }
			END {
				if (!last) exit 1
				for (i = 1; i <= NR; i++) {
					if (i == last) print line
					print lines[i]
				}
			}' "$kconfig" >"$tmp" || {
			rm -f "$tmp"
			echo "kunit: no endmenu in $kconfig" >&2
			exit 1
		}
		chmod --reference="$kconfig" "$tmp"
		mv "$tmp" "$kconfig"
	fi

	makefile=$tree/drivers/misc/Makefile
	if ! grep -qxF "$obj_line" "$makefile"; then
		echo "$obj_line" >>"$makefile"
	fi
	if ! grep -qxF "$rust_obj_line" "$makefile"; then
		echo "$rust_obj_line" >>"$makefile"
	fi
}

total_passed=0
total_failed=0
total_skipped=0
status=0
# The configs this run must report, in order (HELLODEV_KUNIT_CONFIGS picks
# some); each one that has not printed its counts when the script ends, for
# whatever reason, counts as one failure in the last line.
read -ra planned <<<"${HELLODEV_KUNIT_CONFIGS:-um x86_64-smp rust-um}"
reported=()

# summary - the last line: every planned config's counts, and one failure
# for each that did not report; exits non-zero unless all passed.
summary() {
	local c r found rc=$?

	for c in "${planned[@]}"; do
		found=
		for r in "${reported[@]}"; do
			[ "$r" != "$c" ] || found=1
		done
		if [ -z "$found" ]; then
			echo "kunit: $c did not report (the run ended first; see above)"
			total_failed=$((total_failed + 1))
		fi
	done
	((total_failed == 0 && rc == 0)) || status=1
	echo "kunit: $total_passed passed, $total_failed failed, $total_skipped skipped"
	exit "$status"
}
trap summary EXIT

# run_config NAME TREE KUNITCONFIG HOW KUNIT_PY_ARGS... - build, boot and
# count one kernel, from TREE; one in build/trixie/ runs in that chroot.
run_config() {
	local name=$1 tree=$2 kunitconfig=$3 how=$4 dir=$out/$1 log json counts rc=0
	local passed failed skipped run=()

	shift 4
	case $tree in
	"$build"/src/linux-source-7.*) run=("$top/scripts/trixie.sh" run) ;;
	esac
	log=$dir/kunit.log
	json=$dir/results.json
	mkdir -p "$dir"
	# No stale results: if this run builds nothing, it must count nothing.
	rm -f "$json"
	echo "kunit: $name: configuring, building and booting $how;" \
	     "output in ${log#"$top"/}"
	"${run[@]}" env PYTHONUNBUFFERED=1 python3 \
		"$tree/tools/testing/kunit/kunit.py" run \
		--kunitconfig="$kunitconfig" --build_dir="$dir" \
		--jobs="$(nproc)" --json="$json" "$@" 2>&1 | tee "$log" || rc=$?

	# Count the leaves of the parsed result tree. kunit.py turns a test
	# with subtests into a group, so a parameterised case counts once per
	# parameter, as the KTAP reports it, and its parent line is not counted
	# again; a suite that crashed before running any case is a leaf of its
	# own and counts as one failure. Statuses other than PASS and SKIP
	# (FAIL, ERROR) are failures.
	counts="0 0 0"
	if [[ -s $json ]]; then
		counts=$(python3 - "$json" <<-'EOF'
			import json
			import sys

			def leaves(group):
			    for case in group["test_cases"]:
			        yield case["status"]
			    for sub in group["sub_groups"]:
			        yield from leaves(sub)

			with open(sys.argv[1]) as f:
			    statuses = list(leaves(json.load(f)))
			passed = statuses.count("PASS")
			skipped = statuses.count("SKIP")
			print(passed, len(statuses) - passed - skipped, skipped)
		EOF
		) || counts="0 0 0"
	fi
	read -r passed failed skipped <<<"$counts"

	# A run that fails without a failing case (the build broke, the kernel
	# crashed before its KTAP, no test ran) counts as one failure: whatever
	# reads only the last line, like make check, must not take it for a
	# clean run.
	if ((rc != 0 && failed == 0)); then
		echo "kunit: $name: kunit.py failed (status $rc) with no" \
		     "failing case; see ${log#"$top"/}"
		failed=1
	elif ((passed + failed == 0)); then
		echo "kunit: $name: no test ran; see ${log#"$top"/}"
		failed=1
	fi
	((failed == 0)) || status=1
	echo "kunit $name: $passed passed, $failed failed, $skipped skipped"
	total_passed=$((total_passed + passed))
	total_failed=$((total_failed + failed))
	total_skipped=$((total_skipped + skipped))
	reported+=("$name")
}

for config in "${planned[@]}"; do
	case $config in
	um | x86_64-smp)
		if [ -z "${tree61:-}" ]; then
			echo "kunit: finding the 6.1 tree (the first run extracts it)"
			tree61=$("$top/scripts/linux-src.sh" 6.1)
			link_tree "$tree61"
		fi
		;;&
	um)
		run_config um "$tree61" "$top/kunit/.kunitconfig" \
			"UML (a cold build takes about 2 minutes)"
		;;
	x86_64-smp)
		run_config x86_64-smp "$tree61" "$top/kunit/.kunitconfig" \
			"x86_64 in QEMU, 2 vCPUs, PREEMPT (a cold build takes about 3 minutes)" \
			--arch=x86_64 --kconfig_add=CONFIG_SMP=y --kconfig_add=CONFIG_PREEMPT=y \
			--qemu_args="-smp 2 -accel tcg,thread=multi"
		;;
	rust-um)
		# The Rust suite needs the rustc Debian built 7.3 with, which
		# need_kernel installs in the chroot with the 7.3 kernel.
		need_kernel 7.3
		tree73=$("$top/scripts/linux-src.sh" 7.3)
		link_tree "$tree73"
		run_config rust-um "$tree73" "$top/kunit/rust.kunitconfig" \
			"UML with Rust, in the Debian 13 chroot (a cold build takes about 3 minutes)" \
			'hellodev*'
		;;
	*)
		die "HELLODEV_KUNIT_CONFIGS: no config '$config' (um, x86_64-smp, rust-um)"
		;;
	esac
done
