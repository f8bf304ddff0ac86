#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Read-latency benchmark of the hellodev frontends against /dev/zero and
# /dev/null, inside Debian's kernel under QEMU: 3 deterministic boots (icount,
# one vCPU) and a wall-clock one (2 vCPUs), then a table on stdout, every
# figure in build/bench/<release>/bench.json (and build/bench/latest.json)
# and a plot of the per-call latency (PNG and SVG).
#
# usage: bench.sh [--smoke | --deterministic]
#   --smoke          one short deterministic boot; checks that every figure
#                    is produced and every read returned the text; ends with
#                    "bench-smoke <release>: N passed, N failed, N skipped"
#   --deterministic  the full run without the wall-clock boot
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$(dirname "$0")/common.sh"

series=${KERNEL:-6.1}
mode=full
case ${1:-} in
"") ;;
--smoke) mode=smoke ;;
--deterministic) mode=det ;;
*) die "usage: bench.sh [--smoke | --deterministic]" ;;
esac

# Deterministic: guest time is the instruction count (1 ns per instruction),
# so a figure repeats from boot to boot; one vCPU, one TCG thread.
det_qemu=(-c 1 -A 'tcg,thread=single' -q -icount -q 'shift=0,sleep=off'
	-q -rtc -q clock=vm)
det_boots=3
det_args=(-r 2 -b 15 -p 500 -o 40 -s 5000 -a 1000)
# Wall-clock: QEMU's default multi-threaded TCG on 2 vCPUs, 5 rounds (each
# loads the modules again) of 5 batches after a warm-up. Not for 7.x, which
# now and then oopses on an int3 under multi-threaded TCG (see vm.sh): there
# one TCG thread runs both vCPUs, so 2 readers cannot beat 1.
wall_qemu=(-c 2 -A 'tcg,thread=multi')
case $series in
7.*) wall_qemu=(-c 2 -A 'tcg,thread=single') ;;
esac
wall_boots=1
wall_args=(-r 5 -b 5 -p 2000 -o 200 -s 20000 -a 1000)
if [ "$mode" = smoke ]; then
	det_boots=1
	det_args=(-q)
	wall_boots=0
elif [ "$mode" = det ]; then
	wall_boots=0
fi

start=$(date +%s)
mkdir -p "$build"
pkgs=("${VM_PKGS[@]}" python3 gdb)
[ "$mode" = smoke ] || pkgs+=(gnuplot-nox)
need_pkgs "${pkgs[@]}"
need_kernel "$series"
rel=$(kernel_release "$series")
say "building the modules and the benchmark for $rel"
kmod=$(build_modules "$series")
# With Rust, also bench/Kbuild's module: the Rust core on the kernel's own
# kernel::miscdevice.
kbench=
if [ -e "$kmod/hellodev_rust.ko" ]; then
	kmake "$rel" -s bench-modules >"$build/kbuild-bench.log" 2>&1 ||
		{ cat "$build/kbuild-bench.log" >&2; die "bench/Kbuild's module build failed"; }
	kbench=$build/kmod-bench/$rel
fi

if [ "$mode" = smoke ]; then
	out=$build/bench-smoke/$rel
else
	out=$build/bench/$rel
fi
runs=$out/runs
rm -rf "$runs"
mkdir -p "$runs"
prog=$runs/hellodev_bench
build_tests "$out/bin" 300 hellodev_bench
cp "$out/bin/hellodev_bench" "$prog"

# stage NAME ARGS... - an initramfs folder whose job runs the benchmark with
# ARGS and prints its output (JSON, or call graphs for -g) after a marker
# line.
stage() {
	local dir=$runs/stage-$1

	shift
	mkdir -p "$dir/hellodev"
	cp "$kmod"/hellodev_*.ko ${kbench:+"$kbench"/hellodev_*.ko} "$prog" "$dir/hellodev/"
	cat >"$dir/hellodev/run.sh" <<RUN
#!/bin/sh
./hellodev_bench $* >/tmp/bench.out
rc=\$?
echo @@bench-json
cat /tmp/bench.out
${stage_tail:-}
exit \$rc
RUN
	chmod +x "$dir/hellodev/run.sh"
	printf '%s\n' "$dir"
}

# boot NAME STAGE VMARGS... - boot, showing the job's progress lines; leaves
# NAME.json, NAME.rc (vm.sh's exit status) and the VM's logs in $runs/.
boot() {
	local name=$1 stage=$2 dir=$runs/$1 pid rc=0

	shift 2
	mkdir -p "$dir"
	: >"$dir/result.log"
	"$top/scripts/vm.sh" -k "$rel" -s "$stage" -o "$dir" -t 3600 "$@" \
		>"$dir/vm.log" 2>&1 &
	pid=$!
	tail -F -n +1 --pid="$pid" "$dir/result.log" 2>/dev/null |
		sed -un "s/^bench: /hellodev: $name: /p" >&2 || true
	wait "$pid" || rc=$?
	sed -n '/^@@bench-json$/,$p' "$dir/job.log" 2>/dev/null | sed 1d \
		>"$runs/$name.json"
	if [ "$rc" -ne 0 ]; then
		say "$name: vm.sh exited $rc; see $dir/"
		cat "$dir/vm.log" >&2
	fi
	echo "$rc" >"$runs/$name.rc"
}

# steps_boot - boot with the gdbstub, QEMU stopped until gdb has set its
# breakpoint; gdb writes $runs/steps-pcs.json. The guest then prints its
# kernel's text symbols (without KASLR, as every boot of this image places
# them), kept per kernel in $cache/kallsyms/ and only printed when not
# there; the smoke run counts without them.
steps_boot() {
	local port at gdb_rc=0

	port=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	at=$(nm "$prog" | awk '$3 == "hellodev_steps_syscall" { print $1 }')
	[ -n "$at" ] || die "no hellodev_steps_syscall in $prog"
	HELLODEV_STEPS_PORT=$port HELLODEV_STEPS_OUT=$runs/steps-pcs.json \
		HELLODEV_STEPS_AT=$at \
		gdb -q -batch -nx -x "$top/bench/steps.py" >"$runs/steps-gdb.log" 2>&1 &
	boot steps "$steps_stage" "${det_qemu[@]}" -a nokaslr \
		-q -gdb -q "tcp:127.0.0.1:$port" -q -S
	wait $! || gdb_rc=$?
	if [ "$gdb_rc" -ne 0 ] || [ ! -s "$runs/steps-pcs.json" ]; then
		say "gdb on the steps boot failed; see $runs/steps-gdb.log"
		echo 1 >"$runs/steps.rc"
	fi
	if [ -n "$kallsyms" ] && [ ! -s "$kallsyms" ]; then
		sed -n '/^@@kallsyms$/,/^@@kallsyms-end$/p' "$runs/steps/job.log" |
			sed '1d;$d' | base64 -d >"$kallsyms.tmp" &&
			gzip -t "$kallsyms.tmp" && mv "$kallsyms.tmp" "$kallsyms"
	fi
}

# The kernel's text symbols for the steps boot, by image (not for --smoke).
kallsyms=
if [ "$mode" != smoke ]; then
	as_root install -d -o "$(id -u)" -g "$(id -g)" "$cache/kallsyms"
	kallsyms=$cache/kallsyms/$rel-$(sha256sum "$(kernel_image "$rel")" | cut -c1-16).gz
fi

det_stage=$(stage det "${det_args[*]}")
wall_stage=$(stage wall "${wall_args[*]}")
graph_stage=$(stage graph -g)
stage_tail=
if [ -n "$kallsyms" ] && [ ! -s "$kallsyms" ]; then
	stage_tail="echo @@kallsyms
grep ' [tT] ' /proc/kallsyms | gzip -1 | base64
echo @@kallsyms-end"
fi
steps_stage=$(stage steps -S)
stage_tail=
det_json=()
wall_json=()
rcs=()
# Guest time under -icount does not depend on the host, so the
# deterministic boots run side by side; the wall-clock one runs alone.
say "$det_boots deterministic boot(s) at once (QEMU ${det_qemu[*]})"
for i in $(seq 1 "$det_boots"); do
	boot "det-$i" "$det_stage" "${det_qemu[@]}" &
done
# What ftrace sees of one pread: function_graph in one more deterministic
# boot; every instruction of one pread, open and close, counted by gdb on
# QEMU's gdbstub in another (bench/steps.py), without KASLR so that the
# kallsyms of any boot of this image name the kernel's addresses.
boot graph "$graph_stage" "${det_qemu[@]}" &
steps_boot &
wait
rcs+=("$(cat "$runs/graph.rc")" "$(cat "$runs/steps.rc")")
mv "$runs/graph.json" "$runs/graph.txt"
mv "$runs/steps.json" "$runs/steps-guest.txt"
for i in $(seq 1 "$det_boots"); do
	rcs+=("$(cat "$runs/det-$i.rc")")
	det_json+=("$runs/det-$i.json")
done
for i in $(seq 1 "$wall_boots"); do
	say "wall-clock boot $i/$wall_boots (QEMU ${wall_qemu[*]})"
	boot "wall-$i" "$wall_stage" "${wall_qemu[@]}"
	rcs+=("$(cat "$runs/wall-$i.rc")")
	wall_json+=("$runs/wall-$i.json")
done

qemu=$(qemu-system-x86_64 --version | sed -n '1s/^QEMU emulator version //p')
host_cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
agg=(/usr/bin/python3 "$top/bench/aggregate.py" --kernel "$rel"
	--qemu "$qemu" --host-cpu "$host_cpu" --host-kernel "$(uname -r)"
	--det-flags "${det_qemu[*]}" --wall-flags "${wall_qemu[*]}"
	--vm-rc "${rcs[@]}" --det "${det_json[@]}" --wall "${wall_json[@]}"
	--graph "$runs/graph.txt" --steps "$runs/steps-pcs.json"
	--steps-guest "$runs/steps-guest.txt" ${kallsyms:+--kallsyms "$kallsyms"})
[ -z "$kbench" ] || agg+=(--rust)
agg+=(--ko "$kmod"/hellodev_*.ko ${kbench:+"$kbench"/hellodev_*.ko})

if [ "$mode" = smoke ]; then
	say "bench smoke run took $(($(date +%s) - start)) s; its checks:"
	# Its checks are TAP, counted as every suite's: a crash leaves the
	# plan unmet.
	"${agg[@]}" --smoke >"$out/smoke.tap" 2>&1 || true
	cat "$out/smoke.tap"
	ktap_summary "bench-smoke $rel" "$out/smoke.tap"
	exit
fi

for rc in "${rcs[@]}"; do
	[ "$rc" -eq 0 ] || die "a benchmark boot failed; see $runs/"
done
"${agg[@]}" --out "$out/bench.json" --plot-data "$out/latency.dat"
cp "$out/bench.json" "$build/bench/latest.json"
gnuplot -e "data='$out/latency.dat'; out='$out/latency'; title='hellodev per-call latency, $rel, QEMU TCG'" \
	"$top/bench/latency.gp"
say "wrote $out/bench.json, $build/bench/latest.json, $out/latency.png and .svg"
say "make bench took $(($(date +%s) - start)) s"
