#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# hellodev under DKMS, the way out-of-tree modules are usually installed.
#
# usage: dkms.sh install|remove [--root DIR]
#   install  copy the module sources to /usr/src/hellodev-VERSION, add them
#            to DKMS, and build and install them for every kernel that has
#            headers (/lib/modules/<release>/build); DKMS then rebuilds them
#            on each kernel upgrade
#   remove   take them out of DKMS, every kernel, and delete the sources
#   --root DIR  keep the sources, the DKMS tree and the installed modules
#            under DIR instead of the machine's (usr/src/, tree/, install/):
#            the tests use this to run real DKMS without touching the host
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$(dirname "$0")/common.sh"

action=${1:-}
root=
if [ "${2:-}" = --root ]; then
	root=$3
elif [ -n "${2:-}" ]; then
	die "usage: dkms.sh install|remove [--root DIR]"
fi
# The one version, from debian/changelog (the Makefile reads it).
version=$(make -s -C "$top" version)
need_pkgs dkms

trees=()
destdir=
run=(as_root)
if [ -n "$root" ]; then
	destdir=$root
	mkdir -p "$root/tree" "$root/install"
	trees=(--sourcetree "$root/usr/src" --dkmstree "$root/tree"
		--installtree "$root/install" --no-depmod)
	run=()
fi
dkms_do() {
	"${run[@]}" dkms "$1" -m hellodev -v "$version" "${@:2}" "${trees[@]}"
}

case $action in
install)
	src=$destdir/usr/src/hellodev-$version
	say "copying the sources to $src"
	"${run[@]}" rm -rf "$src"
	"${run[@]}" make -s -C "$top" install-src DESTDIR="$destdir"
	# Not a pipe into grep -q: under pipefail its early exit would fail.
	if [ -z "$(dkms_do status 2>/dev/null)" ]; then
		dkms_do add
	fi
	for kdir in /lib/modules/*/build; do
		[ -e "$kdir/Makefile" ] || continue
		rel=${kdir#/lib/modules/}
		rel=${rel%/build}
		say "building and installing for $rel"
		[ -z "$root" ] || mkdir -p "$root/install/$rel"
		dkms_do build -k "$rel"
		dkms_do install -k "$rel"
	done
	dkms_do status
	;;
remove)
	dkms_do remove --all
	"${run[@]}" rm -rf "$destdir/usr/src/hellodev-$version"
	;;
*)
	die "usage: dkms.sh install|remove [--root DIR]"
	;;
esac
