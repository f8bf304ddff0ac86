#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Static gates for the Rust sources; each exits non-zero and says where when
# a file fails it.
#
# usage: rust-gates.sh fmt FILE...     rustfmt --check with the kernel's
#                                      .rustfmt.toml (linux-source-7.3), in
#                                      the Debian 13 chroot
#        rust-gates.sh docs FILE...    a //! comment at the top of every file,
#                                      a /// one on every pub or pub(crate)
#                                      item and field (but uses)
#        rust-gates.sh safety FILE...  a // SAFETY: comment right above every
#                                      unsafe block and unsafe impl, and a
#                                      "# Safety" section in the doc of every
#                                      unsafe fn and unsafe trait
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$(dirname "$0")/common.sh"

gate=${1:-}
[ $# -ge 2 ] || die "usage: rust-gates.sh fmt|docs|safety FILE..."
shift

case $gate in
fmt)
	tree=$("$top/scripts/linux-src.sh" 7.3)
	files=()
	for f in "$@"; do
		files+=("$(realpath "$f")")
	done
	"$top/scripts/trixie.sh" run rustfmt --check --edition 2021 \
		--config-path "$tree/.rustfmt.toml" "${files[@]}"
	;;
docs)
	rc=0
	for f in "$@"; do
		awk -v file="$f" '
			# The lines above an item: its doc comment and attributes.
			/^[ \t]*\/\/\// { doc = 1; next }
			/^[ \t]*#\[/ { next }
			NR == 1 && /^\/\/ SPDX-License-Identifier:/ { next }
			!seen_code && /^\/\/!/ { crate_doc = 1 }
			/^[ \t]*(pub(\(crate\))? )?(const |static |fn |struct |enum |trait |type |mod |unsafe |macro_rules!|impl|use )/ { seen_code = 1 }
			/^[ \t]*pub(\(crate\))? / && !/^[ \t]*pub(\(crate\))? (use |mod [a-z_]+;)/ && !doc {
				printf "%s:%d: no /// doc comment: %s\n", file, NR, $0
				bad = 1
			}
			{ doc = 0 }
			END {
				if (!crate_doc) {
					printf "%s: no //! comment saying what the file is\n", file
					bad = 1
				}
				exit bad
			}' "$f" || rc=1
	done
	exit "$rc"
	;;
safety)
	rc=0
	for f in "$@"; do
		awk -v file="$f" '
			# The comment block right above a line, attributes skipped.
			/^[ \t]*\/\/[^\/!]|^[ \t]*\/\/$/ {
				if (!incomment) { block = "" }
				incomment = 1
				block = block $0 "\n"
				next
			}
			/^[ \t]*\/\/\// {
				if (!indoc) { docblock = "" }
				indoc = 1
				docblock = docblock $0 "\n"
				next
			}
			/^[ \t]*#\[/ { next }
			{
				code = $0
				sub(/\/\/.*/, "", code)
				if (code ~ /(^|[^_a-z])unsafe *(\{|impl)/ && block !~ /SAFETY:/) {
					printf "%s:%d: unsafe without a // SAFETY: comment right above: %s\n", file, NR, $0
					bad = 1
				}
				if (code ~ /(^|[^_a-z])unsafe +(extern +"C" +)?(fn|trait) / && docblock !~ /# Safety/) {
					printf "%s:%d: unsafe fn or trait without a \"# Safety\" doc section: %s\n", file, NR, $0
					bad = 1
				}
				incomment = 0
				# A statement that goes on (let x =) keeps its comment.
				if (code !~ /[^;{},][ \t]*$/ || code ~ /^[ \t]*$/) {
					block = ""
					docblock = ""
					indoc = 0
				}
			}
			END { exit bad }' "$f" || rc=1
	done
	exit "$rc"
	;;
*)
	die "usage: rust-gates.sh fmt|docs|safety FILE..."
	;;
esac
