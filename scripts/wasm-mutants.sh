#!/usr/bin/env bash
# Mutation check of the wasm kernels: each line below breaks src/wasm/kernels.c in one way a real bug would; the wasm
# tests must fail for every one. Needs clang-16 (scripts/build-wasm.mjs); restores the sources when done.
#   bash scripts/wasm-mutants.sh
set -uo pipefail
cd "$(dirname "$0")/.."
saved=$(mktemp -d)
cp src/wasm/kernels.c src/wasm/kernels-embedded.ts "$saved/"
trap 'cp "$saved/kernels.c" "$saved/kernels-embedded.ts" src/wasm/; rm -rf "$saved"' EXIT
survived=0
while IFS='|' read -r name expr; do
  cp "$saved/kernels.c" src/wasm/kernels.c
  sed -i "$expr" src/wasm/kernels.c
  if cmp -s src/wasm/kernels.c "$saved/kernels.c"; then echo "$name: NOT APPLIED"; continue; fi
  node scripts/build-wasm.mjs >/dev/null 2>&1 || { echo "$name: does not compile"; continue; }
  if env -u XDG_RUNTIME_DIR npx vitest run test/wasm-kernels.test.ts test/wasm-session.test.ts >/dev/null 2>&1; then
    echo "$name: SURVIVED"
    survived=$((survived + 1))
  else
    echo "$name: caught"
  fi
done <<'M'
last p dropped in 4x8|s/for (int p = 0; p < kc; p++, ap += 4, bp += 8)/for (int p = 0; p < kc - 1; p++, ap += 4, bp += 8)/
row 3 uses row 2|s/a3 = wasm_v128_load32_splat(ap + 3)/a3 = wasm_v128_load32_splat(ap + 2)/
b panel misses its last row|s/for (int p = 0; p < kc; p++) {/for (int p = 0; p < kc - 1; p++) {/
A panel transposed wrong|s/ap\[p \* 4 + r\] = rows\[r \* rs + p \* ps\]/ap[p * 4 + r] = rows[r * ps + p * rs]/
remainder rows skipped|s/for (int i = m4; i < m; i++)/for (int i = m4; i < m - 1; i++)/
single column wrong start|s/float sum = first ? 0 : \*c;/float sum = first ? 0 : 0;/
KC blocks not accumulated|s/  int first = p0 == 0;/  int first = 1;/
bias on wrong column|s/c\[i \* n + j\] += bias\[j\];/c[i * n + j] += bias[j ? j - 1 : 0];/
share off by one|s/\*end = min(hi, count);/*end = min(hi, count - 1);/
relu backward ge|s/wasm_f32x4_gt(wasm_v128_load(x + i), zero)/wasm_f32x4_ge(wasm_v128_load(x + i), zero)/
column sum skips last row|s/for (int r = 0; r < rows; r++) s = wasm_f32x4_add/for (int r = 1; r < rows; r++) s = wasm_f32x4_add/
adam eps inside|s/__builtin_sqrt((double)exp_avg_sq\[i\]) \/ bc2_sqrt + eps/__builtin_sqrt((double)exp_avg_sq[i] + eps) \/ bc2_sqrt/
momentum first ignored|s/buffer\[i\] = (float)(first ? g : /buffer[i] = (float)(0 ? g : /
transpose wrong|s/t\[c \* rows + r\] = s\[r \* cols + c\]/t[c * rows + r] = s[r * cols + (c ? c - 1 : c)]/
M
exit $((survived > 0))
