#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# usage: linux-src.sh [VERSION]
# Print the path of an extracted Debian linux-source-VERSION tree (default
# 6.1), extracting /usr/src/linux-source-VERSION.tar.xz (this machine's, or
# the Debian 13 chroot's for 7.3) into build/src/ the first time.
# The tarball is only read; the tree appears all at once or not at all.
# HELLODEV_SRC_DIR puts the tree elsewhere than build/src (kunit.sh: in the
# cache shared by clones).
set -euo pipefail

version=${1:-6.1}
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
tarball=/usr/src/linux-source-$version.tar.xz
[[ -f $tarball ]] || tarball=${HELLODEV_CACHE:-/var/cache/hellodev}/trixie$tarball
src=${HELLODEV_SRC_DIR:-$top/build/src}
tree=$src/linux-source-$version

# The tree is only ever created by rename, so if it exists it is complete.
if [[ -d $tree ]]; then
	echo "$tree"
	exit 0
fi

if [[ ! -f $tarball ]]; then
	echo "linux-src: $tarball not found: install linux-source-$version" >&2
	exit 1
fi

mkdir -p "$src"
tmp=$(mktemp -d "$src/.linux-source-$version.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

echo "linux-src: extracting ${tarball#"$top"/} into ${src#"$top"/} (about 20 seconds)" >&2
tar -xJf "$tarball" -C "$tmp"
if [[ ! -d $tmp/linux-source-$version ]]; then
	echo "linux-src: $tarball has no linux-source-$version/ directory" >&2
	exit 1
fi

# mv -T refuses to replace a non-empty directory: if another run won the
# race, keep its tree and drop ours.
if ! mv -T "$tmp/linux-source-$version" "$tree" 2>/dev/null && [[ ! -d $tree ]]; then
	echo "linux-src: cannot move the extracted tree to $tree" >&2
	exit 1
fi
echo "$tree"
