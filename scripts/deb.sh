#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Build the hellodev-dkms package with Debian's own tools (dpkg-buildpackage,
# dh with dh-dkms) from the tree's debian/, then check it with lintian.
#
# usage: deb.sh [-t TREE] [-o DIR]
#   -t TREE  the source tree to package (default: this script's)
#   -o DIR   where the package and lintian's report go (default:
#            TREE/build/deb); DIR/hellodev-<version>/ is the copy it is
#            built in
# Prints the path of the .deb. Fails if the build fails, or if lintian
# reports an error or a warning; its full report (informational tags
# included) is in DIR/lintian.txt and on stderr.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$(dirname "$0")/common.sh"

tree=$top
out=
while getopts t:o: opt; do
	case $opt in
	t) tree=$(cd "$OPTARG" && pwd) ;;
	o) out=$OPTARG ;;
	*) die "usage: deb.sh [-t TREE] [-o DIR]" ;;
	esac
done
out=${out:-$tree/build/deb}

need_pkgs dpkg-dev debhelper dh-dkms lintian
version=$(make -s -C "$tree" version)
copy=$out/hellodev-$version
rm -rf "$out"
mkdir -p "$copy"
# What debian/rules needs: the Makefile's install-src and the sources.
(cd "$tree" && cp -r -t "$copy" Makefile Kbuild dkms.conf debian common \
	variants rust)

say "building the hellodev-dkms package for $version with dpkg-buildpackage (log: $out/build.log)"
if ! (cd "$copy" && dpkg-buildpackage -b -us -uc) >"$out/build.log" 2>&1; then
	tail -n 30 "$out/build.log" >&2
	die "dpkg-buildpackage failed; see $out/build.log"
fi
debs=("$out"/hellodev-dkms_"$version"-*_all.deb)
if [ ${#debs[@]} -ne 1 ] || [ ! -e "${debs[0]}" ]; then
	die "dpkg-buildpackage made no single hellodev-dkms_${version}-*_all.deb in $out"
fi
changes=("$out"/hellodev_"$version"-*_*.changes)
if [ ${#changes[@]} -ne 1 ] || [ ! -e "${changes[0]}" ]; then
	die "dpkg-buildpackage made no single .changes file in $out"
fi

say "lintian on $(basename "${changes[0]}") (fails on an error or a warning)"
rc=0
lintian --display-info --fail-on error,warning "${changes[0]}" \
	>"$out/lintian.raw" 2>&1 || rc=$?
# Its one line about being run as root is not a finding.
grep -vx 'running with root privileges is not recommended!' "$out/lintian.raw" \
	>"$out/lintian.txt" || true
sed 's/^/lintian: /' "$out/lintian.txt" >&2
[ "$rc" -eq 0 ] || die "lintian failed (exit $rc) on ${debs[0]}; its report: $out/lintian.txt"
say "lintian: no error, no warning ($(grep -c '^I: ' "$out/lintian.txt" || true) informational tags)"
printf '%s\n' "${debs[0]}"
