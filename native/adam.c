/*
 * One Adam update of one parameter tensor in a single pass (PyTorch's torch.optim.Adam: L2 weight decay
 * added to the gradient, eps added to the bias-corrected sqrt of the second moment), run on tfjs-wasm's own
 * heap: the module imports the backend's memory, and the pointers are tensor offsets in it. Every operation
 * is the IEEE float32 one the tfjs op chain in shared/synth/nn/adam.ts performs, in the same order, with no
 * contraction into fused multiply-adds, so the result is bit-identical to it. No static data and no stack:
 * instantiating the module must write nothing into the memory it borrows (native/build.sh checks).
 */
#include <wasm_simd128.h>

__attribute__((export_name("adam_update"))) void adam_update(
    const float *p, const float *g, const float *m, const float *v, float *p_out, float *m_out,
    float *v_out, int n, float weight_decay, float beta1, float one_minus_beta1, float beta2,
    float one_minus_beta2, float sqrt_bias2, float eps, float step_size) {
  const int decay = weight_decay != 0.0f;
  const v128_t wd = wasm_f32x4_splat(weight_decay), b1 = wasm_f32x4_splat(beta1),
               c1 = wasm_f32x4_splat(one_minus_beta1), b2 = wasm_f32x4_splat(beta2),
               c2 = wasm_f32x4_splat(one_minus_beta2), bias = wasm_f32x4_splat(sqrt_bias2),
               e = wasm_f32x4_splat(eps), step = wasm_f32x4_splat(step_size);
  int i = 0;
  for (; i + 4 <= n; i += 4) {
    const v128_t pi = wasm_v128_load(p + i);
    v128_t gi = wasm_v128_load(g + i);
    if (decay) gi = wasm_f32x4_add(gi, wasm_f32x4_mul(pi, wd));
    const v128_t mi = wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(m + i), b1), wasm_f32x4_mul(gi, c1));
    const v128_t vi = wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(v + i), b2),
                                     wasm_f32x4_mul(wasm_f32x4_mul(gi, gi), c2));
    const v128_t denom = wasm_f32x4_add(wasm_f32x4_div(wasm_f32x4_sqrt(vi), bias), e);
    wasm_v128_store(m_out + i, mi);
    wasm_v128_store(v_out + i, vi);
    wasm_v128_store(p_out + i, wasm_f32x4_sub(pi, wasm_f32x4_mul(wasm_f32x4_div(mi, denom), step)));
  }
  for (; i < n; i++) {
    const float pi = p[i];
    float gi = g[i];
    if (decay) gi = gi + pi * weight_decay;
    const float mi = m[i] * beta1 + gi * one_minus_beta1;
    const float vi = v[i] * beta2 + (gi * gi) * one_minus_beta2;
    m_out[i] = mi;
    v_out[i] = vi;
    p_out[i] = pi - (mi / (__builtin_sqrtf(vi) / sqrt_bias2 + eps)) * step_size;
  }
}
