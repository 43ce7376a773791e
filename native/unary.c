/*
 * exp and tanh over a float32 tensor, four lanes at a time, on tfjs-wasm's own heap (the pointers are
 * tensor offsets in the memory the module imports). tfjs-wasm's Exp and Tanh call libm per element: on TVAE's
 * [500, 128] log-variance an exp takes 0.40 ms and a tanh 0.95 ms, against 0.05 ms for XNNPACK's vectorised
 * sigmoid of the same tensor; a 500-row TVAE step takes two such exps and a tanh.
 *
 * Both follow Cephes (S. L. Moshier, "Methods and Programs for Mathematical Functions", 1989), expf.c and
 * tanhf.c, with its coefficients. exp: x = n ln2 + r with n = round(x log2 e) and ln2 split in two parts so r
 * is exact, exp(r) by Cephes' degree-6 minimax polynomial, times 2^n applied as two halves so that results
 * down to the smallest subnormal and up to FLT_MAX come out right (overflow gives inf, underflow 0). tanh:
 * Cephes' odd polynomial below |x| = 0.625, else 1 - 2 / (exp(2|x|) + 1) with the sign put back; +-1 from
 * |x| = 9 on. Within 2 ulp of the exact values over the float range (cli/wasm-unary.test.ts), NaN in gives
 * NaN out. No static data and no stack: instantiating the module writes nothing into the memory it borrows
 * (native/build.sh checks).
 */
#include <wasm_simd128.h>

static inline v128_t splat(float v) { return wasm_f32x4_splat(v); }

/* 2^e for integer lanes e in [-126, 127], from the exponent bits. */
static inline v128_t pow2i(v128_t e) { return wasm_i32x4_shl(wasm_i32x4_add(e, wasm_i32x4_splat(127)), 23); }

static inline v128_t exp4(v128_t x) {
  /* Past these every result is inf or 0; clamping keeps n within what the two halves of 2^n can build. */
  x = wasm_f32x4_pmax(wasm_f32x4_pmin(x, splat(89.0f)), splat(-104.0f));
  const v128_t fn = wasm_f32x4_nearest(wasm_f32x4_mul(x, splat(1.44269504088896341f)));
  v128_t r = wasm_f32x4_sub(x, wasm_f32x4_mul(fn, splat(0.693359375f)));
  r = wasm_f32x4_sub(r, wasm_f32x4_mul(fn, splat(-2.12194440e-4f)));
  v128_t p = splat(1.9875691500e-4f);
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), splat(1.3981999507e-3f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), splat(8.3334519073e-3f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), splat(4.1665795894e-2f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), splat(1.6666665459e-1f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), splat(5.0000001201e-1f));
  p = wasm_f32x4_add(wasm_f32x4_add(wasm_f32x4_mul(p, wasm_f32x4_mul(r, r)), r), splat(1.0f));
  const v128_t n = wasm_i32x4_trunc_sat_f32x4(fn);
  const v128_t half = wasm_i32x4_shr(n, 1);
  return wasm_f32x4_mul(wasm_f32x4_mul(p, pow2i(half)), pow2i(wasm_i32x4_sub(n, half)));
}

static inline v128_t tanh4(v128_t x) {
  const v128_t sign = wasm_v128_and(x, wasm_i32x4_splat((int)0x80000000u));
  const v128_t ax = wasm_f32x4_abs(x);
  /* Small |x|: x + x^3 P(x^2). */
  const v128_t z = wasm_f32x4_mul(x, x);
  v128_t p = splat(-5.70498872745e-3f);
  p = wasm_f32x4_add(wasm_f32x4_mul(p, z), splat(2.06390887954e-2f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, z), splat(-5.37397155531e-2f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, z), splat(1.33314422036e-1f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, z), splat(-3.33332819422e-1f));
  /* The sign bit put back keeps tanh(-0) = -0 (the sum rounds it to +0); elsewhere it is already x's. */
  const v128_t small = wasm_v128_or(wasm_f32x4_add(wasm_f32x4_mul(wasm_f32x4_mul(p, z), x), x), sign);
  /* Large |x|: 1 - 2 / (e^(2|x|) + 1), then the sign; |x| >= 9 is 1 to float precision. */
  const v128_t e = exp4(wasm_f32x4_add(ax, ax));
  v128_t large = wasm_f32x4_sub(splat(1.0f), wasm_f32x4_div(splat(2.0f), wasm_f32x4_add(e, splat(1.0f))));
  large = wasm_v128_bitselect(splat(1.0f), large, wasm_f32x4_ge(ax, splat(9.0f)));
  large = wasm_v128_or(large, sign);
  /* NaN fails both comparisons and stays in `small`, which is NaN. */
  return wasm_v128_bitselect(large, small, wasm_f32x4_ge(ax, splat(0.625f)));
}

/* The 0-3 elements after the last full vector go through a vector whose other lanes are zeros. */
static inline v128_t load_tail(const float *x, int count) {
  v128_t v = wasm_f32x4_splat(0.0f);
  if (count > 0) v = wasm_f32x4_replace_lane(v, 0, x[0]);
  if (count > 1) v = wasm_f32x4_replace_lane(v, 1, x[1]);
  if (count > 2) v = wasm_f32x4_replace_lane(v, 2, x[2]);
  return v;
}

static inline void store_tail(float *y, v128_t v, int count) {
  if (count > 0) y[0] = wasm_f32x4_extract_lane(v, 0);
  if (count > 1) y[1] = wasm_f32x4_extract_lane(v, 1);
  if (count > 2) y[2] = wasm_f32x4_extract_lane(v, 2);
}

__attribute__((export_name("exp_f32"))) void exp_f32(const float *x, float *y, int n) {
  int i = 0;
  for (; i + 4 <= n; i += 4) wasm_v128_store(y + i, exp4(wasm_v128_load(x + i)));
  store_tail(y + i, exp4(load_tail(x + i, n - i)), n - i);
}

__attribute__((export_name("tanh_f32"))) void tanh_f32(const float *x, float *y, int n) {
  int i = 0;
  for (; i + 4 <= n; i += 4) wasm_v128_store(y + i, tanh4(wasm_v128_load(x + i)));
  store_tail(y + i, tanh4(load_tail(x + i, n - i)), n - i);
}
