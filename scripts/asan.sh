#!/usr/bin/env bash
# Runs a command (default: the fuzzer) against an ASan + UBSan build of the addon, built into
# build-asan/ on first use. Leak detection is off (node itself reports leaks at exit), huge
# allocations fail as in a release build instead of aborting, and any UBSan report aborts.
#   scripts/asan.sh                       # npm run fuzz (20,000 calls, 20,000 files)
#   scripts/asan.sh npx vitest run test/reliability.test.ts
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f build-asan/build/Debug/tensorkit.node ]; then
  npx cmake-js rebuild --debug -O build-asan/build --CDTK_SANITIZE=ON --CDTK_CUDA=OFF
fi
export TENSORKIT_PREBUILD="$PWD/build-asan"
export LD_PRELOAD="$(gcc -print-file-name=libasan.so)"
export ASAN_OPTIONS=detect_leaks=0:allocator_may_return_null=1:max_allocation_size_mb=4096
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export TK_FUZZ_MEMORY_MB=0  # ulimit -d would count ASan's shadow memory
if [ $# -eq 0 ]; then set -- npm run -s fuzz; fi
exec "$@"
