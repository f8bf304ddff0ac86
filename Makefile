# SPDX-License-Identifier: GPL-2.0
# hellodev: build the modules, show the seed's session, run every test.
# Everything generated goes under build/.

# Kernel the modules are built for: its build tree and release.
KDIR ?= /lib/modules/$(shell uname -r)/build
KREL = $(shell sed -n 's/.*"\(.*\)".*/\1/p' $(KDIR)/include/generated/utsrelease.h 2>/dev/null)
OUT = build/kmod/$(KREL)
SRCS := Kbuild $(wildcard common/*.[ch] variants/*.[ch])

# Kernel the VM boots (Debian's linux-image-amd64) and the demo's frontend.
KERNEL ?= 6.1
VARIANT ?= misc

.PHONY: all modules demo check kunit vmtest bench report check-debug clean
all: modules

# Build against $(KDIR); the modules land in build/kmod/<release>/.
modules:
	@test -n "$(KREL)" || { echo "no kernel build tree at $(KDIR): install linux-headers-$$(uname -r) or pass KDIR=" >&2; exit 1; }
	@mkdir -p $(OUT)/common $(OUT)/variants
	@for f in $(SRCS); do ln -sfn "$(CURDIR)/$$f" "$(OUT)/$$f"; done
	$(MAKE) -C $(KDIR) M=$(CURDIR)/$(OUT) modules

clean:
	rm -rf build

# The seed's session through one frontend, in Debian's kernel under QEMU.
demo:
	@VARIANT=$(VARIANT) KERNEL=$(KERNEL) scripts/demo.sh

# KUnit suites for the core, on UML, from a scratch copy of linux-source.
kunit:
	@scripts/kunit.sh

# The conformance suite for every frontend, inside the booted kernel.
vmtest:
	@KERNEL=$(KERNEL) scripts/vmtest.sh

# Static gates, build, KUnit and the VM suite; ends "N passed, N failed".
check:
	@KERNEL=$(KERNEL) scripts/check.sh

# Read latency of every frontend against /dev/zero and /dev/null, in the VM.
bench:
	@KERNEL=$(KERNEL) scripts/bench.sh

# docs/comparison.md from the latest benchmark figures.
report:
	@scripts/report.sh

# The conformance suite and fault injection on a KASAN/lockdep debug kernel.
check-debug:
	@scripts/check-debug.sh
