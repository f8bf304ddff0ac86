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
# HELLODEV_KUNIT_FILTER="suite[.case]" runs only the matching suites, as
# kunit.py's filter_glob does.
# Output: build/kunit/<config>/ (kunit.log is kunit.py's full output,
# results.ktap its KTAP, as ktap_summary counts it). The source trees and kunit.py's build
# directories are in $HELLODEV_CACHE/kunit/, shared by every clone and keyed
# by what they depend on (see run_config).
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
out=$build/kunit
# The build trees, shared by every clone (see run_config).
kcache=$cache/kunit

mkdir -p "$out"
as_root install -d -o "$(id -u)" -g "$(id -g)" "$kcache" "$kcache/build"
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
# in drivers/misc/hellodev/, the Rust one's (with the C helper rust/ calls)
# in kunit/, common/ and rust/ there, where its #[path]s find them as in
# this tree. Only drivers/misc/{Kconfig,Makefile} are edited, once.
link_tree() {
	local tree=$1 dir=$1/drivers/misc/hellodev f kconfig makefile tmp
	local source_line='source "drivers/misc/hellodev/Kconfig"'
	local obj_line="obj-\$(CONFIG_HELLODEV_KUNIT_TEST) += hellodev/"
	local rust_obj_line="obj-\$(CONFIG_HELLODEV_RUST_KUNIT_TEST) += hellodev/"

	mkdir -p "$dir/kunit" "$dir/common" "$dir/rust"
	for f in kunit/Kconfig kunit/Makefile kunit/hellodev_kunit.c \
		 common/hellodev.c common/hellodev.h common/hellodev_uaccess.h; do
		ln -sfn "$top/$f" "$dir/${f##*/}"
	done
	for f in kunit/hellodev_rust_kunit.rs common/hellodev.rs rust/*.rs \
		 rust/*.[ch]; do
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

# kunit_build ARGS... - kunit.py build (which configures first), for
# run_config (whose locals it uses), into its log.
kunit_build() {
	"${kunit_py[@]}" build --kunitconfig="$kunitconfig" --build_dir="$dir" \
		--jobs="$(nproc)" "$@" 2>&1 | tee -a "$log"
	return "${PIPESTATUS[0]}"
}

# build_key TREE KUNITCONFIG ARGS... - what a config's build depends on,
# but our own files: the tree (its path names the source package's
# version), the .kunitconfig, kunit.py's options and the compilers.
build_key() {
	local tree=$1 kunitconfig=$2

	shift 2
	{
		printf '%s\n' "$tree" "$@"
		cat "$kunitconfig"
		"${run[@]}" gcc --version | head -n 1
		# The chroot's Rust toolchain, for the tree that builds in it.
		[ ${#run[@]} -eq 0 ] || "${run[@]}" sh -c 'rustc --version; bindgen --version'
	} | sha256sum | cut -c1-16
}

# inputs_hash - our files the builds link in (link_tree), by content.
inputs_hash() {
	(cd "$top" && cat kunit/* kunit/.kunitconfig common/*.[ch] common/hellodev.rs rust/*) |
		sha256sum | cut -c1-16
}

# run_config NAME TREE KUNITCONFIG HOW FILTER KUNIT_PY_ARGS... - build, boot
# and count one kernel, from TREE; a tree of 7.x builds in the Debian 13
# chroot. The build directory lives in the cache, keyed by build_key; it is
# trusted only with the stamp a finished build writes, which names the
# inputs it was built from: with the same inputs the run only boots it
# (kunit.py exec), with others it builds again (our files only, as make
# sees), and a build that fails in a kept directory is tried once more from
# scratch.
run_config() {
	local name=$1 tree=$2 kunitconfig=$3 how=$4 filter=$5 dir log ktap counts summary rc=0
	local passed failed skipped key stamp inputs t0=$SECONDS
	local run=() kunit_py

	shift 5
	case $tree in
	*/linux-source-7.*) run=("$top/scripts/trixie.sh" run) ;;
	esac
	key=$(build_key "$tree" "$kunitconfig" "$@")
	dir=$kcache/build/$name-$key
	stamp=$dir/.hellodev-built
	inputs="$key $(inputs_hash)"
	log=$out/$name/kunit.log
	ktap=$out/$name/results.ktap
	mkdir -p "$out/$name"
	# No stale results: if this run boots nothing, it must count nothing.
	rm -f "$ktap" "$dir/test.log"
	: >"$log"
	kunit_py=("${run[@]}" env PYTHONUNBUFFERED=1 python3 "$tree/tools/testing/kunit/kunit.py")
	if [ -d "$dir" ] && [ ! -e "$stamp" ]; then
		echo "kunit: $name: build/${dir##*/} was left unfinished; building it from scratch"
		rm -rf "$dir"
	fi
	if [ -e "$stamp" ] && [ "$(cat "$stamp")" = "$inputs" ]; then
		echo "kunit: $name: build/${dir##*/} is built from these very inputs; booting it ($how)"
	else
		if [ -e "$stamp" ]; then
			echo "kunit: $name: building our changed files in build/${dir##*/}, then booting $how"
		else
			echo "kunit: $name: configuring and building build/${dir##*/} from scratch (cold: minutes), then booting $how"
		fi
		rm -f "$stamp"
		if ! kunit_build "$@" && [ -d "$dir" ]; then
			echo "kunit: $name: the build failed in a kept directory; once more from scratch"
			rm -rf "$dir"
			kunit_build "$@" || rc=$?
		fi
		[ "$rc" -ne 0 ] || printf '%s\n' "$inputs" >"$stamp"
		echo "kunit: $name: built in $((SECONDS - t0)) s"
	fi
	if [ "$rc" -eq 0 ]; then
		"${kunit_py[@]}" exec --kunitconfig="$kunitconfig" --build_dir="$dir" \
			"$@" ${filter:+"$filter"} 2>&1 | tee -a "$log" || rc=$?
	fi
	echo "kunit: $name: took $((SECONDS - t0)) s; output in ${log#"$top"/}, the build in ${dir#"$kcache"/}"

	# Count the KTAP that kunit.py extracts from the kernel's output (its
	# own parse --raw_output=kunit) with ktap_summary, as every suite of
	# make check is counted: a parameterised case counts once per
	# parameter, a suite that crashed before its result fails its plan.
	counts="0 0 0"
	if [ -s "$dir/test.log" ]; then
		"${kunit_py[@]}" parse --raw_output=kunit "$dir/test.log" >"$ktap" 2>>"$log" || true
		summary=$(ktap_summary "kunit $name" "$ktap") || true
		printf '%s\n' "$summary" | sed '$d'
		counts=$(tail -n 1 <<<"$summary" |
			sed -n 's/.*: \([0-9]*\) passed, \([0-9]*\) failed, \([0-9]*\) skipped$/\1 \2 \3/p')
	fi
	read -r passed failed skipped <<<"${counts:-0 0 0}"

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

# kunit_tree SERIES - the scratch linux-source-SERIES tree kunit.py builds
# from, in the cache (kunit.py's build directories record its path, so it
# must be the same for every clone), locked for this run: another run waits
# until this one ends, since our files are linked into it (link_tree).
kunit_tree() {
	local version tree fd

	if [ "$1" = 6.1 ]; then
		# shellcheck disable=SC2016 # dpkg-query's format fields
		version=$(dpkg-query -W -f='${Version}' linux-source-6.1)
	else
		# shellcheck disable=SC2016 # dpkg-query's format fields
		version=$("$top/scripts/trixie.sh" run dpkg-query -W -f='${Version}' "linux-source-$1")
	fi
	exec {fd}>"$kcache/.lock-src-$1-$version"
	if ! flock -n "$fd"; then
		echo "kunit: waiting for another kunit run on the $1 tree" >&2
		flock "$fd"
	fi
	tree=$(HELLODEV_SRC_DIR=$kcache/src-$1-$version "$top/scripts/linux-src.sh" "$1")
	link_tree "$tree"
	printf '%s\n' "$tree"
}

filter=${HELLODEV_KUNIT_FILTER:-}
for config in "${planned[@]}"; do
	case $config in
	um | x86_64-smp)
		# Not in $(...): the lock must stay with this shell.
		if [ -z "${tree61:-}" ]; then
			kunit_tree 6.1 >"$out/.tree"
			tree61=$(cat "$out/.tree")
		fi
		;;&
	um)
		run_config um "$tree61" "$top/kunit/.kunitconfig" UML "$filter"
		;;
	x86_64-smp)
		run_config x86_64-smp "$tree61" "$top/kunit/.kunitconfig" \
			"x86_64 in QEMU, 2 vCPUs, PREEMPT" "$filter" \
			--arch=x86_64 --kconfig_add=CONFIG_SMP=y --kconfig_add=CONFIG_PREEMPT=y \
			--qemu_args="-smp 2 -accel tcg,thread=multi"
		;;
	rust-um)
		# The Rust suite needs the rustc Debian built 7.3 with, which
		# need_kernel installs in the chroot with the 7.3 kernel.
		need_kernel 7.3
		kunit_tree 7.3 >"$out/.tree"
		tree73=$(cat "$out/.tree")
		run_config rust-um "$tree73" "$top/kunit/rust.kunitconfig" \
			"UML with Rust, in the Debian 13 chroot" "${filter:-hellodev*}"
		;;
	*)
		die "HELLODEV_KUNIT_CONFIGS: no config '$config' (um, x86_64-smp, rust-um)"
		;;
	esac
done
