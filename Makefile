# SPDX-License-Identifier: GPL-2.0
# hellodev: build the modules, show the seed's session, run every test.
# Everything generated goes under build/.

# Kernel the modules are built for: its build tree and release.
KDIR ?= /lib/modules/$(shell uname -r)/build
KREL = $(shell sed -n 's/.*"\(.*\)".*/\1/p' $(KDIR)/include/generated/utsrelease.h 2>/dev/null)
OUT = build/kmod/$(KREL)
SRCS := Kbuild $(wildcard common/*.[ch] common/*.rs variants/*.[ch] \
	variants/*.rs rust/*.rs rust/*.[ch])
# The one version of hellodev: the upstream part of debian/changelog's newest
# entry ("hellodev (0.1.0-1) ..." gives 0.1.0). The modules' MODULE_VERSION,
# dkms.conf's PACKAGE_VERSION (filled in by install-src) and the .deb's.
VERSION := $(shell awk 'NR == 1 && $$1 == "hellodev" { v = $$2; \
	gsub(/[()]/, "", v); sub(/-[^-]*$$/, "", v); print v } { exit }' \
	$(CURDIR)/debian/changelog)
ifeq ($(VERSION),)
$(error no version in debian/changelog's first line "hellodev (VERSION-REVISION) ...")
endif

# Kernel the VM boots (6.1 by default; 7.3 for the demo of VARIANT=rust) and
# the demo's frontend.
KERNEL ?=
VARIANT ?= misc
# The debug kernel of check-debug: 7.3 (with Rust) unless 6.1.
DEBUG_KERNEL ?=

.PHONY: all modules bench-modules install install-src deb version dkms-install \
	dkms-remove demo check kunit vmtest bench report check-debug clean
all: modules

# Build against $(KDIR); the modules land in build/kmod/<release>/.
modules:
	@test -n "$(KREL)" || { echo "no kernel build tree at $(KDIR): install linux-headers-$$(uname -r) or pass KDIR=" >&2; exit 1; }
	@mkdir -p $(OUT)/common $(OUT)/variants $(OUT)/rust
	@for f in $(SRCS); do ln -sfn "$(CURDIR)/$$f" "$(OUT)/$$f"; done
	$(MAKE) -C $(KDIR) M=$(CURDIR)/$(OUT) HELLODEV_VERSION=$(VERSION) modules

# For make bench only: bench/Kbuild's module, the Rust core on the kernel's
# own kernel::miscdevice, in build/kmod-bench/<release>/ (a kernel with Rust).
BENCH_OUT = build/kmod-bench/$(KREL)
BENCH_SRCS := bench/hellodev_rust_kmisc.rs common/hellodev.rs \
	$(wildcard rust/*.rs) rust/ratelimit_helper.c rust/ratelimit_helper.h
bench-modules:
	@test -n "$(KREL)" || { echo "no kernel build tree at $(KDIR): pass KDIR=" >&2; exit 1; }
	@mkdir -p $(BENCH_OUT)/bench $(BENCH_OUT)/common $(BENCH_OUT)/rust
	@ln -sfn "$(CURDIR)/bench/Kbuild" "$(BENCH_OUT)/Kbuild"
	@for f in $(BENCH_SRCS); do ln -sfn "$(CURDIR)/$$f" "$(BENCH_OUT)/$$f"; done
	$(MAKE) -C $(KDIR) M=$(CURDIR)/$(BENCH_OUT) modules

# Install for $(KDIR)'s kernel into /lib/modules/<release>/updates (under
# $(INSTALL_MOD_PATH) if set), then depmod. Unsigned: the kernel's signing key
# is not in Debian's headers (use dkms-install to sign with DKMS's MOK key).
install: modules
	$(MAKE) -C $(KDIR) M=$(CURDIR)/$(OUT) HELLODEV_VERSION=$(VERSION) \
		INSTALL_MOD_DIR=updates CONFIG_MODULE_SIG_ALL= modules_install
	depmod $(if $(INSTALL_MOD_PATH),-b $(INSTALL_MOD_PATH)) $(KREL)

# The sources DKMS builds, as installed in $(DESTDIR)/usr/src/hellodev-<version>
# (by scripts/dkms.sh and debian/rules): $(SRCS), and dkms.conf with its
# PACKAGE_VERSION.
SRC_DIR = $(DESTDIR)/usr/src/hellodev-$(VERSION)
install-src:
	@for f in $(SRCS); do install -D -m 644 "$$f" "$(SRC_DIR)/$$f" || exit 1; done
	sed 's/#MODULE_VERSION#/$(VERSION)/g' dkms.conf >$(SRC_DIR)/dkms.conf

# The version, for the scripts.
version:
	@echo $(VERSION)

# build/deb/hellodev-dkms_<version>-<revision>_all.deb, from debian/ with
# dpkg-buildpackage, checked by lintian.
deb:
	@scripts/deb.sh

# Register the sources with DKMS, which builds and installs the modules for
# every kernel that has headers, and again after each kernel upgrade.
dkms-install:
	@scripts/dkms.sh install

dkms-remove:
	@scripts/dkms.sh remove

clean:
	rm -rf build

# The seed's session through one frontend, in Debian's kernel under QEMU.
demo:
	@VARIANT=$(VARIANT) KERNEL=$(KERNEL) scripts/demo.sh

# KUnit suites for the cores, with kunit.py from a scratch copy of
# linux-source: CONFIGS picks some of "um x86_64-smp rust-um" (all by
# default), FILTER some suites or cases ("hellodev_read*"), as kunit.py's
# filter_glob does.
CONFIGS ?=
FILTER ?=
kunit:
	@HELLODEV_KUNIT_CONFIGS="$(CONFIGS)" HELLODEV_KUNIT_FILTER="$(FILTER)" \
		scripts/kunit.sh

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

# The conformance suite, fault injection, cycles, races and fuzzers on a
# KASAN/UBSAN/lockdep/kmemleak debug kernel: 7.3 with Rust (DEBUG_KERNEL=6.1:
# Debian 12's 6.1, C only).
check-debug:
	@DEBUG_KERNEL=$(DEBUG_KERNEL) scripts/check-debug.sh
