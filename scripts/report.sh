#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Write docs/comparison.md from the benchmark results of every kernel under
# build/bench/<release>/bench.json (run make bench first), with each
# kernel's latency plot copied next to it as docs/bench-latency-<release>.*
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$(dirname "$0")/common.sh"

mkdir -p "$build"
need_pkgs python3
shopt -s nullglob
benches=("$build"/bench/*/bench.json)
[ ${#benches[@]} -gt 0 ] ||
	die "no build/bench/*/bench.json: run make bench first"

docs=$top/docs
mkdir -p "$docs"
plots=()
for b in "${benches[@]}"; do
	dir=$(dirname "$b")
	rel=$(basename "$dir")
	if [ -e "$dir/latency.png" ] && [ -e "$dir/latency.svg" ]; then
		cp "$dir/latency.png" "$docs/bench-latency-$rel.png"
		cp "$dir/latency.svg" "$docs/bench-latency-$rel.svg"
		plots+=(--plot "$rel=bench-latency-$rel.png")
	fi
done
/usr/bin/python3 "$top/bench/report.py" --top "$top" \
	--out "$docs/comparison.md" "${plots[@]}" "${benches[@]}"
say "wrote docs/comparison.md from ${#benches[@]} kernel(s): ${benches[*]#"$build"/}"
