#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Prove hellodev installs the way out-of-tree modules are installed, for each
# kernel of KERNELS (default "6.1 6.12"; 7.3 is the Debian 13 chroot's):
# - make dkms-install's path: DKMS builds and installs it in private trees
#   under build/ (this machine's kernels), modinfo describes every module,
#   and `make install` installs and indexes it;
# - the package's path: make deb builds hellodev-dkms (lintian clean), apt
#   installs it on this machine (Debian 12) and in the Debian 13 chroot, its
#   DKMS builds every module the kernel can take (the Rust ones for 7.3,
#   with the Rust metadata; for the others make.log says why not), and apt
#   remove leaves no module, no source and no DKMS tree behind;
# - in each booted kernel, modprobe loads each module the package's DKMS
#   built, by name with its options from /etc/modprobe.d, and modprobe -r
#   removes it; the guest log gate counts.
# Ends with "dkms: N passed, N failed, N skipped".
# HELLODEV_DKMSTEST_GUEST_CMD: one more command each guest runs after its
# checks (make check's proof that the guest log gate counts here).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$(dirname "$0")/common.sh"

read -ra series <<<"${KERNELS:-6.1 6.12}"
out=$build/dkmstest
tap=$out/results.tap
n=0
rm -rf "$out"
mkdir -p "$out"
echo 'TAP version 13' >"$tap"
guests=0

# result OK DESC - record one host-side check.
result() {
	n=$((n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $n - $2" | tee -a "$tap"
	else
		echo "not ok $n - $2" | tee -a "$tap"
	fi
}

# try DESC CMD... - run CMD as one check, its output kept in the log.
try() {
	local desc=$1 rc=0

	shift
	{ echo "== $desc"; "$@"; } >>"$out/host.log" 2>&1 || rc=$?
	result "$rc" "$desc"
	[ "$rc" -eq 0 ]
}

need_pkgs "${VM_PKGS[@]}" dkms xz-utils
host_rels=()
chroot_rels=()
for s in "${series[@]}"; do
	need_kernel "$s"
	r=$(kernel_release "$s")
	if in_chroot_kernel "$r"; then
		chroot_rels+=("$r")
	else
		host_rels+=("$r")
	fi
done
# The one version (debian/changelog's): every module must carry it.
version=$(make -s -C "$top" version)

# modinfo_ok KO PARAMS... - description, author, license, version and
# exactly PARAMS, each with a description.
modinfo_ok() {
	local ko=$1 f want got

	shift
	[ -e "$ko" ] || { echo "$ko: missing"; return 1; }
	for f in description author license; do
		[ -n "$(modinfo -F "$f" "$ko")" ] || { echo "$ko: no $f"; return 1; }
	done
	[ "$(modinfo -F version "$ko")" = "$version" ] || { echo "$ko: version"; return 1; }
	want=$(printf '%s\n' "$@" | sort)
	got=$(modinfo -F parm "$ko" | sed -n 's/^\([a-z_]*\):..*/\1/p' | sort)
	[ "$want" = "$got" ] || { echo "$ko: parameters '$got', want '$want'"; return 1; }
}

# params M - the parameters of frontend M.
params() {
	case $1 in
	debugfs | rust_debugfs) echo name greeting log_opens full_proxy ;;
	*) echo name greeting log_opens mode ;;
	esac
}

# ko DIR M - the path of hellodev_M in DIR, compressed or not.
ko() {
	local f

	for f in "$1/hellodev_$2".ko*; do
		printf '%s\n' "$f"
		return
	done
}

# make_install_ok REL - make install into a staging root; depmod lists all 3.
make_install_ok() {
	local root=$out/install-$1

	make -s -C "$top" install KDIR="/usr/src/linux-headers-$1" \
		INSTALL_MOD_PATH="$root" &&
		[ "$(grep -c '^updates/hellodev_[a-z]*\.ko[.a-z]*:' \
			"$root/lib/modules/$1/modules.dep")" -eq 3 ]
}

if [ ${#host_rels[@]} -gt 0 ]; then
	say "DKMS (make dkms-install, private trees): adding, building and installing for this machine's kernels"
	try "dkms install for every kernel with headers (private trees)" \
		"$top/scripts/dkms.sh" install --root "$out/dkms" || true
	for rel in "${host_rels[@]}"; do
		for m in misc cdev debugfs; do
			# shellcheck disable=SC2046 # one word per parameter
			try "$rel: DKMS installed hellodev_$m and modinfo describes it" \
				modinfo_ok "$(ko "$out/dkms/install/$rel/updates/dkms" $m)" \
				$(params $m) || true
		done
		try "$rel: make install puts the modules in updates/ and depmod indexes them" \
			make_install_ok "$rel" || true
	done
fi

say "make deb: building the hellodev-dkms package"
rc=0
deb=$("$top/scripts/deb.sh" -o "$out/deb" 2>>"$out/host.log") || rc=$?
result "$rc" "make deb builds hellodev-dkms_$version-*_all.deb, and lintian reports no error and no warning"
[ "$rc" -eq 0 ] || deb=

# The system the package goes into: this machine ("") or the Debian 13
# chroot ($trixie); sys_run runs a command there.
sys=
sys_run() {
	if [ -n "$sys" ]; then
		"$top/scripts/trixie.sh" run "$@"
	else
		"$@"
	fi
}

# sys_apt ARGS... - apt-get there, one at a time with this machine's or the
# chroots' other apt-get runs (see need_pkgs, trixie.sh).
sys_apt() {
	local lock=/tmp/hellodev-apt.lock

	[ -z "$sys" ] || lock=$cache/trixie-debs/.hellodev-lock
	(
		flock 7
		sys_run env DEBIAN_FRONTEND=noninteractive apt-get -q -y \
			-o APT::Keep-Downloaded-Packages=true "$@"
	) 7>"$lock"
}

# leftovers - what a hellodev installation left there; prints nothing if
# none.
leftovers() {
	local f

	for f in "$sys"/usr/src/hellodev-* "$sys"/var/lib/dkms/hellodev; do
		[ ! -e "$f" ] || echo "$f"
	done
	find "$sys"/lib/modules/ -name 'hellodev_*.ko*' 2>/dev/null
	# shellcheck disable=SC2016 # dpkg-query's format fields
	sys_run dpkg-query -W -f='${db:Status-Abbrev} ${Package} ${Version}\n' \
		hellodev-dkms 2>/dev/null | grep -v '^[pu]n ' || true
}

# removed_ok RELS... - nothing left, and no kernel's depmod index has
# hellodev_misc.
removed_ok() {
	local left r

	left=$(leftovers)
	[ -z "$left" ] || { echo "left behind: $left"; return 1; }
	for r in "$@"; do
		if sys_run modinfo -k "$r" -F filename hellodev_misc 2>/dev/null; then
			echo "$r: depmod still indexes hellodev_misc"
			return 1
		fi
	done
}

# make_log_ok REL WANT - DKMS's make.log for REL says WANT times in one
# line that the Rust modules were skipped.
make_log_ok() {
	local log=$sys/var/lib/dkms/hellodev/$version/$1/x86_64/log/make.log got

	[ -e "$log" ] || { echo "no $log"; return 1; }
	got=$(grep -c '^hellodev: not building the Rust modules (hellodev_rust\*\.ko): ' "$log" || true)
	grep '^hellodev: not building' "$log" || true
	[ "$got" -eq "$2" ] || { echo "$log: the skip line $got times, want $2"; return 1; }
}

# only_ok REL DIR MODULES - DIR holds the modules MODULES (space-separated)
# and no other hellodev module, and nothing was skipped for REL.
only_ok() {
	local got want m f

	got=$(for f in "$2"/hellodev_*.ko*; do
		f=${f##*/hellodev_}
		echo "${f%%.ko*}"
	done | sort | xargs)
	want=$(for m in $3; do echo "$m"; done | sort | xargs)
	[ "$got" = "$want" ] || { echo "$2 holds: $got; want: $want"; return 1; }
	make_log_ok "$1" 0
}

# no_rust_ok REL DIR - no Rust module in DIR, and make.log says why once.
no_rust_ok() {
	if ls "$2"/hellodev_rust*.ko* 2>/dev/null; then
		echo "Rust modules installed for $1"
		return 1
	fi
	make_log_ok "$1" 1
}

# deb_install NAME RELS... - install the package into $sys (one clone at a
# time: this machine is shared by them), unless hellodev is there already.
deb_install() {
	local name=$1 lock=/tmp/hellodev-deb-host.lock

	shift
	[ -z "$sys" ] || lock=$cache/.lock-dkmstest-deb-chroot
	exec 6>"$lock"
	flock 6
	if ! try "$name: nothing of hellodev is installed there before the test" \
		removed_ok; then
		say "$name: hellodev is installed already (see $out/host.log): the test would remove it, so it does not run; apt remove hellodev-dkms (or make dkms-remove) first"
		exec 6>&-
		return 1
	fi
	say "$name: apt-get install $(basename "$deb") (DKMS builds for $*)"
	installed=$name
	try "$name: apt-get install ./$(basename "$deb") installs it, its DKMS builds" \
		sys_apt install --no-install-recommends "$deb" || true
}

# deb_check NAME WHEN MODULES RELS... - what the package's DKMS built for
# each of RELS (MODULES: the frontends each must have, space-separated;
# with rust, no other module and nothing skipped, else
# make.log's one line on why the Rust ones were skipped); a copy of them
# in $out/mods-REL/ for the guests.
deb_check() {
	local name=$1 when=$2 mods=$3 rel m inst

	shift 3
	for rel in "$@"; do
		inst=$sys/lib/modules/$rel/updates/dkms
		for m in $mods; do
			# shellcheck disable=SC2046 # one word per parameter
			try "$name: $rel$when: the package's DKMS installed hellodev_$m, modinfo describes it" \
				modinfo_ok "$(ko "$inst" "$m")" $(params "$m") || true
		done
		try "$name: $rel$when: depmod indexes the DKMS hellodev_misc" \
			sys_run modinfo -k "$rel" -F filename hellodev_misc || true
		if [[ " $mods " = *" rust"* ]]; then
			try "$name: $rel$when: DKMS built these modules and no other, make.log says nothing was skipped" \
				only_ok "$rel" "$inst" "$mods" || true
		else
			try "$name: $rel$when: no Rust module, and make.log says in one line why they were skipped" \
				no_rust_ok "$rel" "$inst" || true
		fi
		rm -rf "$out/mods-$rel"
		mkdir -p "$out/mods-$rel"
		cp "$inst"/hellodev_*.ko* "$out/mods-$rel/" 2>/dev/null || true
	done
}

# deb_remove NAME RELS... - apt remove the package; nothing may be left.
deb_remove() {
	local name=$1

	shift
	say "$name: apt-get remove hellodev-dkms"
	try "$name: apt-get remove hellodev-dkms removes it" \
		sys_apt remove hellodev-dkms || true
	installed=
	try "$name: after apt remove: no module in any kernel, no /usr/src/hellodev-*, no DKMS tree, no package" \
		removed_ok "$@" || true
	exec 6>&-
}

# strip_meta REL - take the Rust metadata that scripts/rust-meta.sh added
# out of the chroot's headers for REL: Debian 13's headers as a machine has
# them. Anything that needs it again (need_kernel 7.3) adds it back.
strip_meta() {
	local hdir=$trixie/usr/src/linux-headers-$1 key f

	key=$(cat "$hdir/rust/.hellodev-meta") || return 1
	tar -tf "$cache/rust-meta/$key.tar" >"$out/meta-files" || return 1
	while IFS= read -r f; do
		rm -f "${hdir:?}/$f"
	done <"$out/meta-files"
	rm -f "$hdir/rust/.hellodev-meta"
	[ ! -e "$hdir/rust/libkernel.rmeta" ]
}

# A package still installed when this script ends (it failed, or was
# stopped) is removed: the machine and the chroot stay as they were. So is
# the Rust metadata, if the test took it away.
installed=
stripped=()
# cleanup_meta - put back the Rust metadata this test took away, if the
# test did not.
cleanup_meta() {
	local r

	for r in "${stripped[@]}"; do
		[ -e "$trixie/usr/src/linux-headers-$r/rust/.hellodev-meta" ] ||
			"$top/scripts/rust-meta.sh" "$r" >>"$out/host.log" 2>&1 || true
	done
	stripped=()
}
cleanup() {
	if [ -n "$installed" ]; then
		say "removing hellodev-dkms, which this test installed"
		sys_apt remove hellodev-dkms >>"$out/host.log" 2>&1 || true
	fi
	cleanup_meta
}
trap cleanup EXIT

if [ -n "$deb" ] && [ ${#host_rels[@]} -gt 0 ]; then
	sys=
	if deb_install "Debian 12" "${host_rels[@]}"; then
		deb_check "Debian 12" "" "misc cdev debugfs" "${host_rels[@]}"
		deb_remove "Debian 12" "${host_rels[@]}"
	fi
fi
# Debian 13: the package installed on Debian's headers builds the C modules;
# scripts/rust-meta.sh --here, run as on a Debian 13 machine (in the
# chroot), adds the Rust metadata and has DKMS build hellodev again, with
# the Rust modules.
if [ -n "$deb" ] && [ ${#chroot_rels[@]} -gt 0 ]; then
	sys=$trixie
	# The chroot is every clone's (common.sh): while its headers lack the
	# metadata, no other run may add it back or build against them; they
	# take this lock in need_kernel 7.3.
	exec 5>"$cache/.lock-need-7.3"
	flock 5
	say "Debian 13 chroot: installing dkms"
	try "Debian 13: dkms is installed in the chroot" \
		sys_apt install --no-install-recommends dkms || true
	for rel in "${chroot_rels[@]}"; do
		# The chroot's bare image (linux-binary-*) comes without the
		# depmod index that a machine's kernel package makes, and DKMS
		# runs depmod only for a kernel that has one.
		[ -e "$trixie/lib/modules/$rel/modules.dep" ] ||
			try "Debian 13: $rel: depmod makes the kernel's index, as its package does on a machine" \
				sys_run depmod "$rel" || true
		stripped+=("$rel")
		try "Debian 13: $rel: Debian's headers, without the Rust metadata scripts/rust-meta.sh added" \
			strip_meta "$rel" || true
	done
	if deb_install "Debian 13" "${chroot_rels[@]}"; then
		deb_check "Debian 13" " (no Rust metadata)" "misc cdev debugfs" "${chroot_rels[@]}"
		for rel in "${chroot_rels[@]}"; do
			say "Debian 13: scripts/rust-meta.sh --here $rel, in the chroot"
			try "Debian 13: $rel: scripts/rust-meta.sh --here adds the Rust metadata and has DKMS build hellodev again" \
				sys_run "$top/scripts/rust-meta.sh" --here "$rel" || true
			try "Debian 13: $rel: its headers have the Rust metadata" \
				test -e "$trixie/usr/src/linux-headers-$rel/rust/libkernel.rmeta" || true
			# dkms remove took the last module out of the bare
			# image's index, and DKMS then deleted the index as a
			# removed kernel's (a machine's kernel has its own
			# modules in it): so it skipped depmod after autoinstall.
			[ -e "$trixie/lib/modules/$rel/modules.dep" ] ||
				try "Debian 13: $rel: depmod makes the bare image's index again (DKMS dropped it)" \
					sys_run depmod "$rel" || true
		done
		deb_check "Debian 13" " (Rust metadata)" "misc cdev debugfs rust rust_cdev rust_debugfs" "${chroot_rels[@]}"
		deb_remove "Debian 13" "${chroot_rels[@]}"
	fi
	cleanup_meta
	exec 5>&-
fi

# In each kernel: the package's DKMS modules, depmod's index and a
# modprobe.d file.
for rel in "${host_rels[@]}" "${chroot_rels[@]}"; do
	mods="misc cdev debugfs"
	plan=10
	if in_chroot_kernel "$rel"; then
		mods+=" rust rust_cdev rust_debugfs"
		plan=20
	fi
	stage=$out/stage-$rel
	mkdir -p "$stage/hellodev" "$stage/etc/modprobe.d" \
		"$stage/lib/modules/$rel/updates/dkms"
	cp "$out/mods-$rel"/hellodev_*.ko* "$stage/lib/modules/$rel/updates/dkms/" 2>/dev/null || true
	depmod -b "$stage" "$rel" 2>>"$out/host.log"
	for m in $mods; do
		opt=
		[ "${m#rust_}" != cdev ] || opt=" mode=0444"
		echo "options hellodev_$m name=dk_$m greeting=\"installed $m\"$opt"
	done >"$stage/etc/modprobe.d/hellodev.conf"
	{
		echo '#!/bin/sh'
		echo '# modprobe each module by name; its options come from /etc/modprobe.d.'
		echo "mods=\"$mods\""
		cat "$top/tests/tap.sh"
		cat <<'RUN'
echo 'TAP version 13'
for m in $mods; do
	node=/dev/dk_$m
	[ ${m#rust_} = debugfs ] && node=/sys/kernel/debug/dk_$m/greeting
	check "modprobe hellodev_$m loads it by name" "modprobe hellodev_$m"
	check "hellodev_$m took name and greeting from modprobe.d" \
		"[ \"\$(cat $node)\" = 'installed $m' ] &&
		 [ \"\$(cat /sys/module/hellodev_$m/parameters/name)\" = dk_$m ]"
	[ ${m#rust_} = cdev ] && check "hellodev_$m took mode=0444 from modprobe.d" \
		"[ \"\$(stat -c %a $node)\" = 444 ]"
	check "modprobe -r hellodev_$m removes it and its node" \
		"modprobe -r hellodev_$m && [ ! -e $node ] && [ ! -e /sys/module/hellodev_$m ]"
done
echo "1..$n"
RUN
		printf '%s\n' "${HELLODEV_DKMSTEST_GUEST_CMD:-}"
	} >"$stage/hellodev/run.sh"
	chmod +x "$stage/hellodev/run.sh"
	say "booting $rel: modprobe by name ($mods), from the package's DKMS"
	vm_rc=0
	"$top/scripts/vm.sh" -k "$rel" -s "$stage" -o "$out/vm-$rel" -t 300 || vm_rc=$?
	# The guest's results are a TAP stream of their own, counted with
	# ours at the end; here they are only shown.
	sed -n "s/^\(not \)\{0,1\}ok [0-9]* - /&$rel: /p" "$out/vm-$rel/job.log" 2>/dev/null || true
	guests=$((guests + 1))
	# A guest that never ran its checks must not pass by having none.
	rc=0
	grep -q "^1\.\.$plan\$" "$out/vm-$rel/job.log" 2>/dev/null || rc=1
	result $rc "$rel: the guest ran all $plan modprobe checks"
	result $((vm_rc == 3 || vm_rc == 4)) "$rel: guest kernel log clean and taint O/E only"
done
echo "1..$n" >>"$tap"
# Ours and every guest's stream (a guest that never ran is one missing).
for rel in "${host_rels[@]}" "${chroot_rels[@]}"; do
	cat "$out/vm-$rel/job.log" 2>/dev/null || true
done >>"$tap"
ktap_summary dkms "$tap" "" $((1 + guests))
