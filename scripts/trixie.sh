#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The Debian 13 (trixie) chroot in which everything for Debian 13's newest
# kernel is built: its kbuild tools need Debian 13's libc and gcc-14, and its
# Rust toolchain is Debian 13's. Made with Debian 12's debootstrap from the
# mirror the host's apt already uses, with trixie-backports enabled.
#
# usage: trixie.sh setup        make or refresh the chroot, install what it needs
#        trixie.sh run CMD...   run CMD in it, as root, with /proc, /dev, the
#                               source tree (at its own path) and the package
#                               cache mounted; the mounts live in a private
#                               mount namespace and vanish with CMD
#        trixie.sh kernel SERIES
#                               install the newest trixie-backports kernel
#                               (image and headers) if it is of SERIES; print
#                               its release
# Downloaded packages are kept in $HELLODEV_CACHE/trixie-debs (default
# /var/cache/hellodev), outside the clone, so that a new chroot is quick.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$(dirname "$0")/common.sh"

debs=$cache/trixie-debs
# Everything the chroot builds with: kbuild for 7.3 (gcc-14 comes with the
# headers), sparse for C=2, the Rust tool chain (rustc, bindgen) and what
# rebuilding rust/ and running kunit.py need, and Clang and LLVM's tools for
# make check-debug's kernel (KASAN with Rust needs a Clang-built kernel).
# rustc, rust-src, rustfmt, rust-clippy and bindgen are pinned later to the
# versions the kernel names.
pkgs=(make gcc libc6-dev kmod sparse dwarves bc flex bison libelf-dev
	libssl-dev openssl python3 cpio xz-utils libclang-dev clang lld llvm)

# mirror - the Debian mirror this machine's apt uses for its own release.
mirror() {
	local uri

	# shellcheck disable=SC2016 # apt's format fields, not the shell's
	uri=$(apt-get indextargets --format '$(REPO_URI) $(RELEASE)' |
		awk '$2 == "bookworm" || $2 == "trixie" { print $1; exit }')
	[ -n "$uri" ] || die "no Debian suite in this machine's apt sources to take a mirror from"
	printf '%s\n' "${uri%/}"
}

# run CMD... - CMD in the chroot; call only inside the private namespace.
run_inside() {
	mkdir -p "$trixie$top" "$debs/partial" "$trixie$cache"
	mount -t proc proc "$trixie/proc"
	mount --rbind /dev "$trixie/dev"
	mount --bind "$top" "$trixie$top"
	mount --bind "$cache" "$trixie$cache"
	mount --bind "$debs" "$trixie/var/cache/apt/archives"
	exec chroot "$trixie" /usr/bin/env -i HOME=/root LC_ALL=C.UTF-8 \
		PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		DEBIAN_FRONTEND=noninteractive TERM=dumb "$@"
}

# in_chroot CMD... - CMD in the chroot, from outside.
in_chroot() {
	as_root unshare --mount --propagation private \
		"$top/scripts/trixie.sh" __inside "$@"
}

# apt_get ARGS... - apt-get in the chroot, its output in build/trixie-apt.log.
# The downloaded packages are shared by every clone's chroot: one apt-get at
# a time (apt's own lock on them fails rather than waits).
apt_get() {
	(
		flock 7
		in_chroot apt-get -q -y -o APT::Keep-Downloaded-Packages=true "$@"
	) 7>"$debs/.hellodev-lock" >>"$build/trixie-apt.log" 2>&1 ||
		die "apt-get $* failed in the Debian 13 chroot; see $build/trixie-apt.log"
}

setup() {
	local uri stamp=$trixie/.hellodev-ready

	mkdir -p "$build" "$debs"
	if [ ! -x "$trixie/usr/bin/apt-get" ]; then
		need_pkgs debootstrap
		uri=$(mirror)
		say "creating the Debian 13 chroot in $trixie with debootstrap (about 30 s)"
		rm -rf "$trixie.new"
		(
			flock 7
			as_root debootstrap --variant=minbase --cache-dir="$debs" \
				trixie "$trixie.new" "$uri"
		) 7>"$debs/.hellodev-lock" >"$build/trixie-debootstrap.log" 2>&1 ||
			die "debootstrap failed; see $build/trixie-debootstrap.log"
		printf 'deb %s trixie-backports main\n' "$uri" |
			as_root tee "$trixie.new/etc/apt/sources.list.d/trixie-backports.list" >/dev/null
		as_root mv -T "$trixie.new" "$trixie"
	fi
	# The package lists are refreshed at most every 6 hours, or when the
	# packages wanted change.
	if [ -e "$stamp" ] && [ -n "$(find "$stamp" -mmin -360)" ] &&
		[ "$(cat "$stamp")" = "${pkgs[*]}" ]; then
		return 0
	fi
	: >"$build/trixie-apt.log"
	say "updating the Debian 13 chroot's packages (the first time, about 2 minutes)"
	apt_get update
	apt_get install --no-install-recommends "${pkgs[@]}"
	printf '%s\n' "${pkgs[*]}" | as_root tee "$stamp" >/dev/null
}

# bpo_dep META PREFIX - the package META depends on in trixie-backports whose
# name starts with PREFIX.
bpo_dep() {
	# shellcheck disable=SC2016 # run by the chroot's shell
	in_chroot sh -c '
		ver=$(apt-cache madison "$1" | awk -F " *[|] *" "\$3 ~ /trixie-backports/ { print \$2; exit }")
		[ -n "$ver" ] || exit 1
		apt-cache depends "$1=$ver" | awk -v p="$2" "\$1 == \"Depends:\" && index(\$2, p) == 1 { print \$2; exit }"
	' sh "$1" "$2"
}

kernel() {
	local series=$1 headers image rel binary

	setup
	headers=$(bpo_dep linux-headers-amd64 linux-headers-) ||
		die "trixie-backports has no linux-headers-amd64"
	image=$(bpo_dep linux-image-amd64 linux-image-) ||
		die "trixie-backports has no linux-image-amd64"
	rel=${headers#linux-headers-}
	[ "${image#linux-image-}" = "$rel" ] ||
		die "trixie-backports' linux-image-amd64 ($image) and linux-headers-amd64 ($headers) disagree"
	case $rel in
	"$series".*) ;;
	*) die "trixie-backports' newest kernel is now $rel, not $series: use KERNEL=${rel%.*}" ;;
	esac
	if [ ! -e "$trixie/usr/lib/modules/$rel/vmlinuz" ] ||
		[ ! -e "$trixie/usr/src/linux-headers-$rel/Makefile" ]; then
		# The bare image (linux-binary-*) when Debian splits it out: the
		# full one would pull in its modules and an initramfs generator.
		binary=$(in_chroot apt-cache depends "$image" |
			awk '$1 == "Depends:" && $2 ~ /^linux-binary-/ { print $2; exit }')
		say "installing Debian's $rel kernel (image and headers) in the chroot"
		apt_get install --no-install-recommends "$headers" "${binary:-$image}"
	fi
	[ -e "$trixie/usr/lib/modules/$rel/vmlinuz" ] ||
		die "no /usr/lib/modules/$rel/vmlinuz in the chroot after installing ${binary:-$image}"
	printf '%s\n' "$rel"
}

case ${1:-} in
__inside)
	shift
	run_inside "$@"
	;;
setup)
	mkdir -p "$cache"
	exec 9>"$cache/.lock-trixie"
	flock 9
	setup
	;;
run)
	shift
	[ $# -gt 0 ] || die "usage: trixie.sh run CMD..."
	in_chroot "$@"
	;;
kernel)
	[ $# -eq 2 ] || die "usage: trixie.sh kernel SERIES"
	mkdir -p "$build" "$cache"
	exec 9>"$cache/.lock-trixie"
	flock 9
	kernel "$2"
	;;
*)
	die "usage: trixie.sh setup | run CMD... | kernel SERIES"
	;;
esac
