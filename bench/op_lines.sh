#!/usr/bin/env bash
# Lines of code per operation file in src/ops/: non-blank lines that are not
# comments (`//`, `///`, `//!`) and not inside a `#[cfg(test)]` item (the
# item after the attribute is skipped by brace depth). Then, per operation,
# the lines of its section: from its `/// A `Op` request.` doc line to the
# next such line, the `#[cfg(test)]` module or the end of the file (lines
# before the first section are the file's shared imports and helpers).
#
#   bash bench/op_lines.sh            # every file in src/ops/
#   bash bench/op_lines.sh FILE...    # only these
set -euo pipefail
cd "$(dirname "$0")/.."

files=("$@")
if [ ${#files[@]} -eq 0 ]; then
    files=(src/ops/*.rs)
fi

# code_lines FILE: prints "section<TAB>line" for every counted line.
code_lines() {
    awk '
        function braces(s,   t, o, c) {
            t = s; gsub(/"([^"\\]|\\.)*"/, "", t)   # braces in strings do not count
            o = gsub(/\{/, "{", t); c = gsub(/\}/, "}", t)
            return o - c
        }
        BEGIN { section = "(shared)"; skipping = 0; depth = 0; opened = 0 }
        {
            line = $0
            trimmed = line; sub(/^[ \t]+/, "", trimmed)
            if (skipping) {
                depth += braces(trimmed)
                if (trimmed ~ /\{/) opened = 1
                if (opened && depth <= 0) { skipping = 0 }
                next
            }
            if (trimmed ~ /^#\[cfg\(test\)\]/) { skipping = 1; depth = 0; opened = 0; section = "(tests)"; next }
            if (match(trimmed, /^\/\/\/ An? `[A-Za-z0-9]+` request/)) {
                s = trimmed; sub(/^\/\/\/ An? `/, "", s); sub(/`.*/, "", s); section = s
            }
            if (trimmed == "" || trimmed ~ /^\/\//) next
            print section "\t" trimmed
        }
    ' "$1"
}

printf '%-28s %6s\n' "file" "code"
total=0
for f in "${files[@]}"; do
    n=$(code_lines "$f" | wc -l)
    total=$((total + n))
    printf '%-28s %6d\n' "$f" "$n"
done
printf '%-28s %6d\n' "total" "$total"
echo
printf '%-28s %-26s %6s\n' "file" "operation section" "code"
for f in "${files[@]}"; do
    code_lines "$f" | cut -f1 | uniq -c | while read -r n section; do
        [ "$section" = "(shared)" ] && continue
        printf '%-28s %-26s %6d\n' "$f" "$section" "$n"
    done
done
