#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Write docs/comparison.md from the benchmark results of every kernel under
# build/bench/<release>/bench.json (run make bench first), with each
# kernel's latency plot copied next to it as docs/bench-latency-<release>.*,
# and C misc beside the Rust twin, per kernel, in docs/c-and-rust.*
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$(dirname "$0")/common.sh"

mkdir -p "$build"
need_pkgs python3 gnuplot-nox
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
# What 7.3's Rust offers each API is read from its source, where it is here.
src73=()
if [ -e "$build/src/linux-source-7.3" ] || [ -e "$trixie/usr/src/linux-source-7.3.tar.xz" ]; then
	src73=(--src73 "$("$top/scripts/linux-src.sh" 7.3)")
fi
/usr/bin/python3 "$top/bench/report.py" --top "$top" \
	--out "$docs/comparison.md" "${plots[@]}" "${src73[@]}" \
	--c-rust-plot c-and-rust.png --c-rust-data "$build/c-and-rust.dat" \
	"${benches[@]}"
gnuplot -e "data='$build/c-and-rust.dat'; out='$docs/c-and-rust'" \
	"$top/bench/c_rust.gp"
say "wrote docs/comparison.md from ${#benches[@]} kernel(s): ${benches[*]#"$build"/}"
