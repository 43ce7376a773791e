/*
 * C = A · B for row-major float32 A [m, k], B [k, n], C [m, n], on tfjs-wasm's own heap (the pointers are
 * tensor offsets in the memory the module imports). tfjs-wasm hands a plain matmul to XNNPACK's fully
 * connected operator, which packs B into its own layout before every product: in training every B is
 * new at every step (updated weights, activations, gradients), so that packing is paid on each call
 * (about a fifth of a 350-row TVAE step's matmul time, issue 13's profile). This kernel reads B where it
 * is: with 8 columns per block, each row of a block is two contiguous 16-byte loads, so no copy is needed.
 *
 * The micro-kernel is the register-blocked outer product of Goto and van de Geijn ("Anatomy of
 * high-performance matrix multiplication", ACM TOMS 34(3), 2008) at XNNPACK's wasm SIMD shape: 4 rows x
 * 8 columns of C held in eight 4-lane accumulators, one broadcast element of A times one row of the B
 * block per k. Each C element is the sum over k in increasing order, one rounding per multiply and per
 * add (no contraction), so the result depends only on the inputs: the same on every call and machine.
 * No static data and no stack: instantiating the module writes nothing into the memory it borrows
 * (native/build.sh checks).
 */
#include <wasm_simd128.h>

#define MR 4

/* Rows i..i+3, columns j..j+7. */
static inline void block_4x8(const float *a, const float *b, float *c, int k, int n, int lda) {
  v128_t c00 = wasm_f32x4_splat(0.0f), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00,
         c31 = c00;
  const float *a0 = a, *a1 = a + lda, *a2 = a + 2 * lda, *a3 = a + 3 * lda;
  for (int p = 0; p < k; p++) {
    const v128_t b0 = wasm_v128_load(b), b1 = wasm_v128_load(b + 4);
    b += n;
    v128_t x = wasm_v128_load32_splat(a0 + p);
    c00 = wasm_f32x4_add(c00, wasm_f32x4_mul(x, b0));
    c01 = wasm_f32x4_add(c01, wasm_f32x4_mul(x, b1));
    x = wasm_v128_load32_splat(a1 + p);
    c10 = wasm_f32x4_add(c10, wasm_f32x4_mul(x, b0));
    c11 = wasm_f32x4_add(c11, wasm_f32x4_mul(x, b1));
    x = wasm_v128_load32_splat(a2 + p);
    c20 = wasm_f32x4_add(c20, wasm_f32x4_mul(x, b0));
    c21 = wasm_f32x4_add(c21, wasm_f32x4_mul(x, b1));
    x = wasm_v128_load32_splat(a3 + p);
    c30 = wasm_f32x4_add(c30, wasm_f32x4_mul(x, b0));
    c31 = wasm_f32x4_add(c31, wasm_f32x4_mul(x, b1));
  }
  wasm_v128_store(c, c00);
  wasm_v128_store(c + 4, c01);
  wasm_v128_store(c + n, c10);
  wasm_v128_store(c + n + 4, c11);
  wasm_v128_store(c + 2 * n, c20);
  wasm_v128_store(c + 2 * n + 4, c21);
  wasm_v128_store(c + 3 * n, c30);
  wasm_v128_store(c + 3 * n + 4, c31);
}

/* Rows i..i+3, columns j..j+3. */
static inline void block_4x4(const float *a, const float *b, float *c, int k, int n, int lda) {
  v128_t c0 = wasm_f32x4_splat(0.0f), c1 = c0, c2 = c0, c3 = c0;
  const float *a0 = a, *a1 = a + lda, *a2 = a + 2 * lda, *a3 = a + 3 * lda;
  for (int p = 0; p < k; p++) {
    const v128_t b0 = wasm_v128_load(b);
    b += n;
    c0 = wasm_f32x4_add(c0, wasm_f32x4_mul(wasm_v128_load32_splat(a0 + p), b0));
    c1 = wasm_f32x4_add(c1, wasm_f32x4_mul(wasm_v128_load32_splat(a1 + p), b0));
    c2 = wasm_f32x4_add(c2, wasm_f32x4_mul(wasm_v128_load32_splat(a2 + p), b0));
    c3 = wasm_f32x4_add(c3, wasm_f32x4_mul(wasm_v128_load32_splat(a3 + p), b0));
  }
  wasm_v128_store(c, c0);
  wasm_v128_store(c + n, c1);
  wasm_v128_store(c + 2 * n, c2);
  wasm_v128_store(c + 3 * n, c3);
}

/* One row, columns j..j+7. */
static inline void block_1x8(const float *a, const float *b, float *c, int k, int n) {
  v128_t c0 = wasm_f32x4_splat(0.0f), c1 = c0;
  for (int p = 0; p < k; p++) {
    const v128_t x = wasm_v128_load32_splat(a + p);
    c0 = wasm_f32x4_add(c0, wasm_f32x4_mul(x, wasm_v128_load(b)));
    c1 = wasm_f32x4_add(c1, wasm_f32x4_mul(x, wasm_v128_load(b + 4)));
    b += n;
  }
  wasm_v128_store(c, c0);
  wasm_v128_store(c + 4, c1);
}

/* One row, columns j..j+3. */
static inline void block_1x4(const float *a, const float *b, float *c, int k, int n) {
  v128_t c0 = wasm_f32x4_splat(0.0f);
  for (int p = 0; p < k; p++) {
    c0 = wasm_f32x4_add(c0, wasm_f32x4_mul(wasm_v128_load32_splat(a + p), wasm_v128_load(b)));
    b += n;
  }
  wasm_v128_store(c, c0);
}

/* One element, summed in the same order as the blocks' lanes. */
static inline float dot(const float *a, const float *b, int k, int n) {
  float s = 0.0f;
  for (int p = 0; p < k; p++) s = s + a[p] * b[p * n];
  return s;
}

static void rows(const float *a, const float *b, float *c, int m, int k, int n) {
  int i = 0;
  for (; i + MR <= m; i += MR) {
    const float *ai = a + i * k;
    float *ci = c + i * n;
    int j = 0;
    for (; j + 8 <= n; j += 8) block_4x8(ai, b + j, ci + j, k, n, k);
    for (; j + 4 <= n; j += 4) block_4x4(ai, b + j, ci + j, k, n, k);
    for (; j < n; j++)
      for (int r = 0; r < MR; r++) ci[r * n + j] = dot(ai + r * k, b + j, k, n);
  }
  for (; i < m; i++) {
    const float *ai = a + i * k;
    float *ci = c + i * n;
    int j = 0;
    for (; j + 8 <= n; j += 8) block_1x8(ai, b + j, ci + j, k, n);
    for (; j + 4 <= n; j += 4) block_1x4(ai, b + j, ci + j, k, n);
    for (; j < n; j++) ci[j] = dot(ai, b + j, k, n);
  }
}

/* `batch` products of the same shapes, each operand's matrices contiguous; a stride of 0 broadcasts. */
__attribute__((export_name("gemm"))) void gemm(const float *a, const float *b, float *c, int batch, int m,
                                               int k, int n, int a_stride, int b_stride) {
  for (int q = 0; q < batch; q++) rows(a + q * a_stride, b + q * b_stride, c + q * m * n, m, k, n);
}
