#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# The whole test suite, as CI runs it (README: "Run the tests"):
#  1. gcc build, every meson test (unit, fuzz-corpus replay, pcap, netns);
#  2. clang build with ASan+UBSan and libFuzzer: unit tests and every fuzz
#     harness for a bounded time;
#  3. a clang -Werror build of everything, so both compilers stay clean.
# Needs root (network namespaces, XDP, taps).
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ $(id -u) -ne 0 ]]; then
	echo "tests/run.sh: the pcap and netns tests need root (sudo $0)" >&2
	exit 1
fi
bash .ci/deps

fuzz_seconds=${FUZZ_SECONDS:-60}

echo "== gcc build and all tests"
[[ -f build/build.ninja ]] || meson setup build
ninja -C build
meson test -C build --print-errorlogs --num-processes 2

echo "== clang: ASan+UBSan unit tests and fuzz harnesses (${fuzz_seconds}s each)"
if [[ ! -f build-fuzz/build.ninja ]]; then
	CC=clang meson setup build-fuzz -Dfuzzing=true -Dfuzz_seconds="$fuzz_seconds" \
		-Db_sanitize=address,undefined -Db_lundef=false
fi
ninja -C build-fuzz
UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ASAN_OPTIONS=detect_leaks=1 \
	meson test -C build-fuzz --print-errorlogs --suite unit --suite fuzz

echo "== clang -Werror build"
[[ -f build-clang/build.ninja ]] || CC=clang meson setup build-clang
ninja -C build-clang

# One closing line over every meson test that ran above.
python3 - build/meson-logs/testlog.json build-fuzz/meson-logs/testlog.json <<'PY'
import json, sys
passed = failed = 0
for path in sys.argv[1:]:
    with open(path) as f:
        for line in f:
            if line.strip():
                r = json.loads(line)["result"]
                passed += r in ("OK", "EXPECTEDFAIL")
                failed += r not in ("OK", "EXPECTEDFAIL")  # a skip is a failure here
print(f"tests: {passed} passed, {failed} failed")
sys.exit(1 if failed or not passed else 0)
PY
