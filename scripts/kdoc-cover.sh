#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Fail if a non-static function defined in the given C files has no
# kernel-doc comment ("/**" block naming it) right above its definition.
set -euo pipefail

rc=0
for f in "$@"; do
	awk -v file="$f" '
		/^\/\*\*/ { doc = ""; indoc = 1 }
		indoc { doc = doc $0 "\n" }
		/\*\// { indoc = 0 }
		# A definition starts in column 0 with a type, has "name(" and is
		# not static; its name is the word before the first "(".
		/^[a-z][a-z0-9_ *]*[ *][a-z_][a-z0-9_]*\(/ && !/^static/ && !/;$/ && !/^(EXPORT|MODULE|module_|DEFINE|VISIBLE)/ {
			name = $0
			sub(/\(.*/, "", name)
			sub(/.*[ *]/, "", name)
			if (index(doc, " * " name "() - ") == 0 && index(doc, "/**\n * " name "() - ") == 0) {
				printf "%s: %s() has no kernel-doc\n", file, name
				bad = 1
			}
			doc = ""
		}
		END { exit bad }' "$f" || rc=1
done
exit $rc
