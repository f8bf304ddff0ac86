# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Shared helpers for the hellodev scripts: progress lines, package set-up and
# which Debian kernel to build for and boot. Sourced, never run.

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build="$top/build"

say() {
	printf 'hellodev: %s\n' "$*" >&2
}

die() {
	say "error: $*"
	exit 1
}

# need_pkgs PKG... - install the Debian packages that are missing.
need_pkgs() {
	local missing=() p sudo=()

	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
			missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	[ "$(id -u)" -eq 0 ] || sudo=(sudo)
	say "installing ${missing[*]} (once; this takes a few minutes)"
	"${sudo[@]}" apt-get update -q >"$build/apt.log" 2>&1 ||
		die "apt-get update failed; see $build/apt.log"
	DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q \
		--no-install-recommends "${missing[@]}" >>"$build/apt.log" 2>&1 ||
		die "apt-get install failed; see $build/apt.log"
}

# What booting a Debian kernel in QEMU and building modules for it needs.
# shellcheck disable=SC2034 # used by the scripts that source this file
VM_PKGS=(linux-image-amd64 linux-headers-amd64 qemu-system-x86 busybox-static
	cpio gzip gcc make libc6-dev kmod)

# kernel_release SERIES - newest installed Debian kernel of SERIES (e.g. 6.1)
# that has both an image in /boot and headers to build against.
kernel_release() {
	local series=$1 f rel found=

	for f in /boot/vmlinuz-"$series".*; do
		[ -e "$f" ] || continue
		rel=${f#/boot/vmlinuz-}
		[ -e "/usr/src/linux-headers-$rel/Makefile" ] && found+="$rel"$'\n'
	done
	[ -n "$found" ] || return 1
	printf '%s' "$found" | sort -V | tail -n 1
}

# build_modules SERIES - build the modules for the VM kernel; prints the
# directory that holds the .ko files.
build_modules() {
	local rel log="$build/kbuild.log"

	rel=$(kernel_release "$1") ||
		die "no Debian kernel $1 with headers installed"
	if ! make -s -C "$top" modules KDIR="/usr/src/linux-headers-$rel" \
		>"$log" 2>&1; then
		cat "$log" >&2
		die "module build failed"
	fi
	grep -v '^Skipping BTF generation' "$log" >&2 || true
	printf '%s\n' "$build/kmod/$rel"
}

# ktap_summary NAME FILE [pass|fail] - print "NAME: N passed, N failed,
# N skipped" for the top-level results of a KTAP/TAP file, plus one check
# passed or failed by the caller (the guest log gate); a plan that was not
# met counts as a failure.
ktap_summary() {
	awk -v name="$1" -v gate="${3:-}" '
		/^1\.\.[0-9]+$/ { plan = substr($0, 4) + 0 }
		/^ok [0-9]+/ { if ($0 ~ /# SKIP/) skip++; else pass++ }
		/^not ok [0-9]+/ { fail++ }
		END {
			ran = pass + fail + skip
			if (gate == "pass") pass++
			if (gate == "fail") fail++
			if (plan == "" || ran != plan) {
				printf "%s: plan %s but %d results\n", name, plan, ran
				fail++
			}
			printf "%s: %d passed, %d failed, %d skipped\n", name, pass, fail, skip
			exit fail != 0
		}' "$2"
}
