#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Give Debian's headers for a Rust-enabled kernel what they lack to build
# Rust modules: the metadata of the kernel's crates (rust/*.rmeta, the
# proc-macro libraries rust/*.so) and scripts/target.json. For a kernel of
# the project's Debian 13 chroot, or with --here for one of the Debian 13
# machine it runs on (its running kernel by default): after that, DKMS
# builds the Rust modules too (a hellodev already in DKMS for that kernel is
# built again, by dkms remove and dkms autoinstall).
#
# usage: rust-meta.sh RELEASE
#        rust-meta.sh --here [RELEASE]
#
# Rust symbol names carry a hash of the crate name and of the rustc version,
# so that metadata is rebuilt from Debian's linux-source with Debian's own
# .config and exactly the rustc and bindgen that .config names
# (CONFIG_RUSTC_VERSION_TEXT, CONFIG_BINDGEN_VERSION_TEXT), installed from
# Debian 13 (with --here: on this machine, with apt-get). Before the
# metadata is used, the Rust symbols it exports must equal those Debian's
# Module.symvers lists for vmlinux, one for one.
# It is cached in $HELLODEV_CACHE/rust-meta/ (default /var/cache/hellodev),
# keyed by the kernel's package version and the rustc version.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$(dirname "$0")/common.sh"

usage="usage: rust-meta.sh RELEASE | rust-meta.sh --here [RELEASE]"
here=
if [ "${1:-}" = --here ]; then
	here=1
	shift
	[ $# -le 1 ] || die "$usage"
	rel=${1:-$(uname -r)}
else
	[ $# -eq 1 ] || die "$usage"
	rel=$1
fi
headers=/usr/src/linux-headers-$rel
series=$(cut -d. -f1,2 <<<"$rel")

# sys CMD... - CMD on the system whose kernel it is: this machine (--here)
# or the Debian 13 chroot; sys_root: as root. apt_lock: the lock that keeps
# apt-get runs there one at a time (see need_pkgs and trixie.sh).
where=
if [ -n "$here" ]; then
	hdir=$headers
	sys() { "$@"; }
	sys_root() { as_root "$@"; }
	apt_lock=/tmp/hellodev-apt.lock
	[ -e "$hdir/.config" ] ||
		die "no $headers: install linux-headers-$rel (apt install linux-headers-$rel)"
else
	hdir=$trixie$headers
	where=" in the Debian 13 chroot"
	sys() { "$top/scripts/trixie.sh" run "$@"; }
	sys_root() { sys "$@"; }
	apt_lock=$cache/trixie-debs/.hellodev-lock
	[ -e "$hdir/.config" ] || die "no $headers in the Debian 13 chroot"
fi
if ! grep -qx 'CONFIG_RUST=y' "$hdir/.config"; then
	[ -z "$here" ] || say "$rel is built without CONFIG_RUST: no Rust module can be built for it"
	exit 0
fi

config_text() {
	sed -n "s/^$1=\"\(.*\)\"$/\1/p" "$hdir/.config"
}
want_rustc=$(config_text CONFIG_RUSTC_VERSION_TEXT)
want_bindgen=$(config_text CONFIG_BINDGEN_VERSION_TEXT)
cc=$(config_text CONFIG_CC_VERSION_TEXT | cut -d' ' -f1)
# shellcheck disable=SC2016 # dpkg-query's format fields, not the shell's
kpkg=$(sys dpkg-query -W -f='${Version}' "linux-headers-$rel")

# debian_version PACKAGE UPSTREAM - the version of PACKAGE in the chroot's
# suites whose upstream part is UPSTREAM.
debian_version() {
	sys apt-cache madison "$1" |
		awk -F ' *[|] *' -v up="$2" '{
			v = $2; sub(/^[0-9]+:/, "", v)
			if (index(v, up "+") == 1 || index(v, up "-") == 1) { print $2; exit }
		}'
}

# installed PACKAGE - its installed version in the chroot, or nothing.
installed() {
	# shellcheck disable=SC2016 # dpkg-query's format fields
	sys dpkg-query -W -f='${Status} ${Version}' "$1" 2>/dev/null |
		sed -n 's/^install ok installed //p'
}

# The tool chain the kernel names, from Debian 13 (trixie or its backports).
rustc_up=$(awk '{ print $2 }' <<<"$want_rustc")
bindgen_up=$(awk '{ print $2 }' <<<"$want_bindgen")
rustc_deb=$(debian_version rustc "$rustc_up")
bindgen_deb=$(debian_version bindgen "$bindgen_up")
[ -n "$rustc_deb" ] ||
	die "Debian built $rel with '$want_rustc', but Debian 13 has no rustc $rustc_up package: the Rust twin cannot be built for $rel until it has (C modules still build)"
[ -n "$bindgen_deb" ] ||
	die "Debian built $rel with '$want_bindgen', but Debian 13 has no bindgen $bindgen_up package: the Rust twin cannot be built for $rel until it has"
want_pkgs=("rustc=$rustc_deb" "rust-src=$rustc_deb" "rustfmt=$rustc_deb"
	"rust-clippy=$rustc_deb" "bindgen=$bindgen_deb"
	"linux-source-$series=$kpkg")
missing=()
for p in "${want_pkgs[@]}"; do
	[ "$(installed "${p%%=*}")" = "${p#*=}" ] || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	say "installing ${missing[*]}${where}"
	(
		flock 7
		sys_root env DEBIAN_FRONTEND=noninteractive apt-get install -q -y \
			--no-install-recommends --allow-downgrades "${missing[@]}"
	) 7>"$apt_lock" >>"$build/rust-meta-apt.log" 2>&1 ||
		die "apt-get install ${missing[*]} failed; see $build/rust-meta-apt.log"
fi
have_rustc=$(sys rustc --version)
have_bindgen=$(sys bindgen --version)
[ "$have_rustc" = "$want_rustc" ] ||
	die "rustc differs: Debian built $rel with '$want_rustc', Debian 13's rustc $rustc_deb is '$have_rustc'; Rust modules need the very same rustc: wait for Debian to rebuild one of them"
[ "$have_bindgen" = "$want_bindgen" ] ||
	die "bindgen differs: Debian built $rel with '$want_bindgen', Debian 13's bindgen $bindgen_deb is '$have_bindgen'"

key=$rel-$kpkg-$(printf '%s' "$want_rustc" | sha256sum | cut -c1-12)
tarball=$cache/rust-meta/$key.tar
stamp=$hdir/rust/.hellodev-meta
if [ -e "$stamp" ] && [ "$(cat "$stamp")" = "$key" ]; then
	exit 0
fi

as_root install -d -o "$(id -u)" -g "$(id -g)" "$cache/rust-meta"
# One build per key at a time: a second clone waits for the first's.
exec 8>"$cache/rust-meta/.lock-$key"
flock 8
if [ ! -e "$tarball" ]; then
	say "building the Rust metadata for $rel from linux-source-$series with $want_rustc (about 2 minutes; cached in $cache/rust-meta)"
	tree=$("$top/scripts/linux-src.sh" "$series")
	obj=$build/rust-meta/$rel
	rm -rf "$obj"
	mkdir -p "$obj"
	cp "$hdir/.config" "$obj/.config"
	mk=(make -C "$tree" O="$obj" CC="$cc" KERNELRELEASE="$rel" -j"$(nproc)")
	if ! sys "${mk[@]}" -s olddefconfig >"$obj.log" 2>&1 ||
		! sys "${mk[@]}" modules_prepare >>"$obj.log" 2>&1; then
		tail -n 30 "$obj.log" >&2
		die "building the Rust metadata failed; see $obj.log"
	fi
	as_root mkdir -p "$cache/rust-meta"
	(cd "$obj" && tar -cf - rust/lib*.rmeta rust/lib*.so rust/exports_*_generated.h \
		scripts/target.json) | as_root tee "$tarball.tmp" >/dev/null
	as_root mv "$tarball.tmp" "$tarball"
	rm -rf "$obj"
fi

# The check: our exports against Debian's vmlinux, one for one.
check=$build/rust-meta/check-$rel
rm -rf "$check"
mkdir -p "$check"
tar -C "$check" -xf "$tarball" --wildcards 'rust/exports_*_generated.h'
cat "$check"/rust/exports_*_generated.h | grep -oE '\(_R[^)]*\)' | tr -d '()' |
	sort -u >"$check/ours.txt"
awk '$2 ~ /^_R/ && $3 == "vmlinux" { print $2 }' "$hdir/Module.symvers" |
	sort -u >"$check/debian.txt"
if ! cmp -s "$check/ours.txt" "$check/debian.txt"; then
	say "$(comm -23 "$check/ours.txt" "$check/debian.txt" | wc -l) Rust symbols of ours are not Debian's, $(comm -13 "$check/ours.txt" "$check/debian.txt" | wc -l) of Debian's are not ours (lists in $check/)"
	die "the Rust metadata built with '$have_rustc' does not match Debian's $rel ($kpkg), though .config names that rustc: Debian's rustc build differs from Debian 13's; remove $tarball and try again after the next rustc or kernel upload"
fi
say "Rust metadata for $rel: $(wc -l <"$check/ours.txt") exported Rust symbols, the same as Debian's"
as_root tar -C "$hdir" -xf "$tarball"
printf '%s\n' "$key" | as_root tee "$stamp" >/dev/null

# With --here, a hellodev that DKMS built for $rel without the metadata is
# built again, now with the Rust modules: taken off that kernel (dkms
# remove drops it from DKMS if that was its last kernel; its sources stay
# in /usr/src), added again if it was dropped, and built by autoinstall.
[ -n "$here" ] && command -v dkms >/dev/null || exit 0
versions=$(dkms status -m hellodev -k "$rel" 2>/dev/null |
	sed -n 's|^hellodev/\([^,]*\), .*: installed.*|\1|p')
for v in $versions; do
	say "building hellodev $v for $rel again, with the Rust modules (dkms remove, then dkms autoinstall)"
	as_root dkms remove -m hellodev -v "$v" -k "$rel"
	[ -n "$(dkms status -m hellodev -v "$v" 2>/dev/null)" ] ||
		as_root dkms add -m hellodev -v "$v"
done
[ -z "$versions" ] || as_root dkms autoinstall -k "$rel"
