#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Prove hellodev installs the way out-of-tree modules are installed, for each
# kernel: DKMS builds and installs it (in private trees under build/, so the
# machine's /usr/src and /lib/modules stay untouched), modinfo describes every
# module, `make install` installs and indexes it, and in the booted kernel
# modprobe loads each module by name with its options from /etc/modprobe.d
# and modprobe -r removes it. Ends with "dkms: N passed, N failed, N skipped".
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
: >"$tap"

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
	"$@" >>"$out/host.log" 2>&1 || rc=$?
	result "$rc" "$desc"
	return 0
}

need_pkgs "${VM_PKGS[@]}" dkms xz-utils
rels=()
for s in "${series[@]}"; do
	need_kernel "$s"
	rels+=("$(kernel_release "$s")")
done
version=$(sed -n 's/^#define HELLODEV_VERSION\t*"\(.*\)"$/\1/p' "$top/common/hellodev.h")

try "dkms.conf and common/hellodev.h name one version ($version)" \
	grep -qx "PACKAGE_VERSION=\"$version\"" "$top/dkms.conf"

say "DKMS: adding, building and installing for ${rels[*]}"
try "dkms install for every kernel with headers (private trees)" \
	"$top/scripts/dkms.sh" install --root "$out/dkms"

# modinfo_ok KO PARAMS... - description, author, license, version and
# exactly PARAMS, each with a description.
modinfo_ok() {
	local ko=$1 f want got

	shift
	for f in description author license; do
		[ -n "$(modinfo -F "$f" "$ko")" ] || { echo "$ko: no $f"; return 1; }
	done
	[ "$(modinfo -F version "$ko")" = "$version" ] || { echo "$ko: version"; return 1; }
	want=$(printf '%s\n' "$@" | sort)
	got=$(modinfo -F parm "$ko" | sed -n 's/^\([a-z_]*\):..*/\1/p' | sort)
	[ "$want" = "$got" ] || { echo "$ko: parameters '$got', want '$want'"; return 1; }
}

# make_install_ok REL - make install into a staging root; depmod lists all 3.
make_install_ok() {
	local root=$out/install-$1

	make -s -C "$top" install KDIR="/usr/src/linux-headers-$1" \
		INSTALL_MOD_PATH="$root" &&
		[ "$(grep -c '^updates/hellodev_[a-z]*\.ko[.a-z]*:' \
			"$root/lib/modules/$1/modules.dep")" -eq 3 ]
}

for rel in "${rels[@]}"; do
	inst=$out/dkms/install/$rel/updates/dkms
	for m in misc cdev debugfs; do
		ko=$(echo "$inst/hellodev_$m".ko*)
		extra=mode
		[ $m = debugfs ] && extra=full_proxy
		try "$rel: DKMS installed hellodev_$m and modinfo describes it" \
			modinfo_ok "$ko" name greeting log_opens "$extra"
	done
	try "$rel: make install puts the modules in updates/ and depmod indexes them" \
		make_install_ok "$rel"
done

# In each kernel: the DKMS tree, depmod's index and a modprobe.d file.
for rel in "${rels[@]}"; do
	stage=$out/stage-$rel
	mkdir -p "$stage/hellodev" "$stage/etc/modprobe.d" "$stage/lib/modules/$rel"
	cp -a "$out/dkms/install/$rel/." "$stage/lib/modules/$rel/"
	depmod -b "$stage" "$rel" 2>>"$out/host.log"
	cat >"$stage/etc/modprobe.d/hellodev.conf" <<'CONF'
options hellodev_misc name=dk_misc greeting="installed misc"
options hellodev_cdev name=dk_cdev greeting="installed cdev" mode=0444
options hellodev_debugfs name=dk_debugfs greeting="installed debugfs"
CONF
	cat >"$stage/hellodev/run.sh" <<'RUN'
#!/bin/sh
# modprobe each module by name; its options come from /etc/modprobe.d.
n=0
check() {
	n=$((n + 1))
	if eval "$2" >/dev/null 2>&1; then
		echo "ok $n - $1"
	else
		echo "not ok $n - $1"
	fi
}
for m in misc cdev debugfs; do
	node=/dev/dk_$m
	[ $m = debugfs ] && node=/sys/kernel/debug/dk_debugfs/greeting
	check "modprobe hellodev_$m loads it by name" "modprobe hellodev_$m"
	check "hellodev_$m took name and greeting from modprobe.d" \
		"[ \"\$(cat $node)\" = 'installed $m' ] &&
		 [ \"\$(cat /sys/module/hellodev_$m/parameters/name)\" = dk_$m ]"
	[ $m = cdev ] && check "hellodev_cdev took mode=0444 from modprobe.d" \
		"[ \"\$(stat -c %a $node)\" = 444 ]"
	check "modprobe -r hellodev_$m removes it and its node" \
		"modprobe -r hellodev_$m && [ ! -e $node ] && [ ! -e /sys/module/hellodev_$m ]"
done
echo "1..$n"
RUN
	printf '%s\n' "${HELLODEV_DKMSTEST_GUEST_CMD:-}" >>"$stage/hellodev/run.sh"
	chmod +x "$stage/hellodev/run.sh"
	say "booting $rel: modprobe by name"
	vm_rc=0
	"$top/scripts/vm.sh" -k "$rel" -s "$stage" -o "$out/vm-$rel" -t 300 || vm_rc=$?
	# The guest's results, renumbered into ours (no pipe: result counts).
	while read -r status rest; do
		if [ "$status" = ok ]; then
			result 0 "$rel: $rest"
		else
			result 1 "$rel: $rest"
		fi
	done < <(sed -n -e 's/^ok [0-9]* - /ok /p' \
		-e 's/^not ok [0-9]* - /failed /p' "$out/vm-$rel/job.log")
	# A guest that never ran its checks must not pass by having none.
	rc=0
	grep -q '^1\.\.10$' "$out/vm-$rel/job.log" || rc=1
	result $rc "$rel: the guest ran all 10 modprobe checks"
	result $((vm_rc == 3 || vm_rc == 4)) "$rel: guest kernel log clean and taint O/E only"
done
echo "1..$n" >>"$tap"
ktap_summary dkms "$tap"
