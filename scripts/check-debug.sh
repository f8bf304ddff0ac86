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

# kernel_key SRC - what the cached kernel depends on: the fragment, the
# source version and the compiler.
kernel_key() {
	{
		cat "$fragment"
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

# build_kernel SRC DIR - configure and build the debug kernel in DIR.
build_kernel() {
	local src=$1 dir=$2 log=$2/build.log start

	mkdir -p "$dir"
	start=$(date +%s)
	say "building the debug kernel in ${dir#"$top"/} (cold: about 20 minutes on 2 cores; log: build.log there)"
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
	touch "$dir/.hellodev-built"
	say "debug kernel built in $(($(date +%s) - start)) s"
}

need_pkgs "${VM_PKGS[@]}" linux-source-6.1 bc flex bison libelf-dev \
	libssl-dev openssl
mkdir -p "$build/debug-kernel"
src=$("$top/scripts/linux-src.sh")
key=$(kernel_key "$src")
kdir=$build/debug-kernel/$key

# One build at a time per key.
exec 9>"$build/debug-kernel/.lock-$key"
flock 9
if [ -e "$kdir/.hellodev-built" ]; then
	say "reusing the debug kernel in ${kdir#"$top"/}"
else
	build_kernel "$src" "$kdir"
fi
verify_config "$kdir/.config" || die "cached debug kernel does not match scripts/debug.config"
exec 9>&-
