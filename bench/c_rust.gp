# SPDX-License-Identifier: GPL-2.0
# C misc and the Rust twin side by side, per kernel: each figure as a ratio
# to /dev/zero in the same boot, from the data file bench/report.py writes
# (one row per figure, one column per language and kernel; NaN: no Rust).
# usage: gnuplot -e "data='...'; out='...'" bench/c_rust.gp
# Writes out.png and out.svg.

set style data histogram
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set grid ytics
set ylabel "ratio to /dev/zero, same boot (deterministic)"
set yrange [0:*]
set xtics nomirror
set datafile missing "NaN"
set key outside right top vertical
# Columns: the figure's name, then one number per language and kernel.
# (The name is quoted and may hold numbers: count what follows it.)
ncols = system("awk -F'\"' 'NR == 2 { print split($3, f, \" \") + 1 }' '".data."'") + 0

do for [fmt in "png svg"] {
	if (fmt eq "png") {
		set terminal pngcairo size 1200,560 font ",10"
	} else {
		set terminal svg size 1200,560 font "sans,10" dynamic
	}
	set termoption noenhanced
	set output out.".".fmt
	set title "hellodev: C misc and the Rust twin, per kernel (QEMU TCG, -icount)"
	plot for [c=2:ncols] data using c:xtic(1) title columnhead(c)
	unset output
}
