# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
# TAP lines for the shell scripts that run in the guest (busybox sh), which
# scripts/dkmstest.sh and scripts/fuzztest.sh write with this file first.
n=0

# check DESC CMD - "ok N - DESC" if CMD (evaluated, its output dropped)
# succeeds, else "not ok N - DESC".
check() {
	n=$((n + 1))
	if eval "$2" >/dev/null 2>&1; then
		echo "ok $n - $1"
	else
		echo "not ok $n - $1"
	fi
}

# skip DESC WHY - "ok N - DESC # SKIP WHY".
skip() {
	n=$((n + 1))
	echo "ok $n - $1 # SKIP $2"
}
