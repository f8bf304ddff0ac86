// SPDX-License-Identifier: GPL-2.0

//! KUnit tests of the hellodev Rust core: `common/hellodev.rs`, whose tests
//! are at its end, built into a KUnit kernel by `scripts/kunit.sh`.

// The tests call the core's pure parts; `read()` and `llseek()` need a file,
// which only the conformance suite in a booted kernel gives them.
#[allow(dead_code)]
#[path = "../common/hellodev.rs"]
mod hellodev;
#[path = "../rust/kernel_ext.rs"]
mod kernel_ext;
