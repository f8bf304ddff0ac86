# SPDX-License-Identifier: GPL-2.0
# Run by gdb (gdb -batch -x bench/steps.py) against QEMU's gdbstub while
# the guest runs hellodev_bench -S: at its syscall instruction
# (HELLODEV_STEPS_AT, hex), when r12 holds the magic, single-step into the
# kernel and on to the return to user space, recording every instruction's
# address, then go on; stop when QEMU exits. Writes a JSON list of
# {"nr", "pcs"} to HELLODEV_STEPS_OUT. QEMU's gdbstub steps with interrupts
# and timers masked, and one step is one instruction, as under -icount.
"""Count the instructions of chosen syscalls, one by one; see bench.sh."""

import json
import os
import time

import gdb  # pylint: disable=import-error

USER_TOP = 1 << 47
MAGIC = 0x68656c6c6f646576


def connect(port):
    """QEMU listens as soon as it starts; retry until it does."""
    for _ in range(300):
        try:
            gdb.execute("target remote 127.0.0.1:%s" % port, to_string=True)
            return
        except gdb.error:
            time.sleep(0.2)
    raise gdb.GdbError("cannot connect to QEMU's gdbstub on port %s" % port)


def reg(name):
    return int(gdb.parse_and_eval("$" + name)) & ((1 << 64) - 1)


def main():
    port = os.environ["HELLODEV_STEPS_PORT"]
    out = os.environ["HELLODEV_STEPS_OUT"]
    at_syscall = int(os.environ["HELLODEV_STEPS_AT"], 16)
    gdb.execute("set pagination off")
    gdb.execute("set confirm off")
    gdb.execute("set architecture i386:x86-64", to_string=True)
    connect(port)
    gdb.execute("break *0x%x" % at_syscall, to_string=True)
    records = []
    while True:
        try:
            gdb.execute("continue", to_string=True)
        except gdb.error:
            break
        try:
            at = reg("pc")
            if at != at_syscall or reg("r12") != MAGIC:
                continue
            nr = reg("rax")
        except gdb.error:
            break
        # The syscall instruction itself is user space: step over it, then
        # count until the kernel returns.
        gdb.execute("stepi", to_string=True)
        at = reg("pc")
        pcs = []
        while at >= USER_TOP and len(pcs) < 200000:
            pcs.append(at)
            gdb.execute("stepi", to_string=True)
            at = reg("pc")
        records.append({"nr": nr, "pcs": pcs})
    with open(out, "w", encoding="utf-8") as f:
        json.dump(records, f)


main()
