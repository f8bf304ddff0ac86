# SPDX-License-Identifier: GPL-2.0
# Per-call latency of every hellodev target, from the data file that
# bench/aggregate.py writes: one row per figure, one column per target
# measured.
# usage: gnuplot -e "data='...'; out='...'; title='...'" bench/latency.gp
# Writes out.png and out.svg.

set style data histogram
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set grid ytics
set ylabel "guest ns per call"
set yrange [0:*]
set xtics nomirror
set bmargin 4
set datafile missing "NaN"
ncols = system("head -n 1 '".data."' | wc -w") + 0

do for [fmt in "png svg"] {
	if (fmt eq "png") {
		set terminal pngcairo size 1400,600 font ",10"
	} else {
		set terminal svg size 1400,600 font "sans,10" dynamic
	}
	set termoption noenhanced
	set output out.".".fmt
	set multiplot layout 1,2 title title
	set key top left inside vertical
	set title "pread(fd, buf, n, 0) of n bytes"
	plot for [c=2:ncols] data every ::0::2 using c:xtic(1) title columnhead(c)
	unset key
	set title "open by path or openat(dirfd), read 13 B, read to EOF, close"
	plot for [c=2:ncols] data every ::3::6 using c:xtic(1) title columnhead(c)
	unset multiplot
	unset output
}
