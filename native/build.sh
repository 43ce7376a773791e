#!/usr/bin/env bash
# Builds the wasm SIMD kernels in native/ into cli/wasm/ (committed, so installing synth needs no compiler):
# one variant importing tfjs-wasm's ordinary memory, one its shared memory (the threaded build). Debian:
# apt-get install clang lld. `--check` rebuilds into a temporary directory and fails if the committed
# binaries differ from what the sources give.
set -euo pipefail
cd "$(dirname "$0")/.."
out=cli/wasm
if [ "${1:-}" = "--check" ]; then out="$(mktemp -d)"; fi
mkdir -p "$out"
flags=(--target=wasm32 -O2 -msimd128 -ffp-contract=off -nostdlib -fno-builtin
  -Wl,--no-entry -Wl,--import-memory -Wl,--strip-all)
for kernel in adam span-loss gemm unary; do
  clang "${flags[@]}" -o "$out/$kernel.wasm" "native/$kernel.c"
  clang "${flags[@]}" -matomics -mbulk-memory -Wl,--shared-memory -Wl,--max-memory=4294967296 \
    -o "$out/$kernel-shared.wasm" "native/$kernel.c"
done
# The module borrows tfjs's memory: no start function and no data segment may write into it at instantiation.
for f in "$out"/*.wasm; do
  node -e '
    const bytes = require("fs").readFileSync(process.argv[1]);
    let at = 8;
    const leb = () => { let r = 0, s = 0, b; do { b = bytes[at++]; r |= (b & 127) << s; s += 7; } while (b & 128); return r; };
    while (at < bytes.length) {
      const id = bytes[at++]; const size = leb();
      if (id === 8 || id === 11 || id === 12) { console.error(`${process.argv[1]}: has a start or data section`); process.exit(1); }
      at += size;
    }' "$f"
done
# ... nor use a stack (the module's stack pointer would point into tfjs's heap): no global is read or written.
objdump="$(command -v llvm-objdump || command -v llvm-objdump-14 || echo /usr/lib/llvm-14/bin/llvm-objdump)"
for f in "$out"/*.wasm; do
  if "$objdump" -d "$f" | grep -q 'global\.\(get\|set\)'; then
    echo "$f: uses a global (a stack): it would write into the memory it borrows" >&2
    exit 1
  fi
done
if [ "${1:-}" = "--check" ]; then
  for f in "$out"/*.wasm; do
    name="$(basename "$f")"
    cmp -s "$f" "cli/wasm/$name" || { echo "cli/wasm/$name is not what native/ builds: run native/build.sh" >&2; exit 1; }
  done
  rm -rf "$out"
  echo "cli/wasm matches native/"
fi
