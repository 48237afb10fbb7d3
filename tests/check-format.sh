#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# The C code follows .clang-format: fails listing the files that do not.
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(git ls-files '*.c' '*.h')
bad=0
for f in "${files[@]}"; do
	if ! clang-format --style=file --dry-run -Werror "$f" 2>/dev/null; then
		echo "not formatted: $f (clang-format -i --style=file $f)"
		bad=$((bad + 1))
	fi
done
echo "format: $((${#files[@]} - bad)) passed, $bad failed"
[[ $bad -eq 0 ]]
