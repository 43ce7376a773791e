/*
 * The cross-entropy of every softmax span of a network's output against its one-hot target, and its
 * gradient, in one pass each over tfjs-wasm's heap (shared/synth/nn/layout.ts spanCrossEntropySum: the
 * same quantity as tfjs ops, a slice, reshape and log-softmax per block of equal spans, a concat, a product
 * and a sum, with as many kernels again for the gradient). Spans are contiguous from column `offset` of each
 * row of `logits` ([rows, width]); `target` is [rows, sw], sw the spans' total width. Per span the log-sum-exp
 * is taken after subtracting the span's maximum, in double precision; exp and log are our own (no libc here),
 * accurate to about 1e-15 relative over the range they are used on. No static data and no stack arrays.
 */

/*
 * exp(x) for x <= 0: x = k ln2 + r with |r| <= ln2 / 2, exp(r) by its Taylor polynomial to degree 12
 * (truncation below 1e-15 relative), times 2^k built from its exponent bits. Below -708 it returns 0:
 * each span's largest term is exp(0) = 1, so such a term cannot change a float32 softmax or log-sum-exp.
 */
static double exp_nonpositive(double x) {
  if (x != x) return x; /* NaN propagates, and never reaches the integer conversion below */
  if (x < -708.0) return 0.0;
  const double ln2_hi = 6.93147180369123816490e-01, ln2_lo = 1.90821492927058770002e-10;
  const double k = __builtin_floor(x * 1.4426950408889634 + 0.5);
  const double r = (x - k * ln2_hi) - k * ln2_lo;
  double p = 2.08767569878680989792e-09; /* 1/12! */
  p = p * r + 2.50521083854417187751e-08; /* 1/11! */
  p = p * r + 2.75573192239858906526e-07;
  p = p * r + 2.75573192239858906526e-06;
  p = p * r + 2.48015873015873015873e-05;
  p = p * r + 1.98412698412698412698e-04;
  p = p * r + 1.38888888888888888889e-03;
  p = p * r + 8.33333333333333333333e-03;
  p = p * r + 4.16666666666666666667e-02;
  p = p * r + 1.66666666666666666667e-01;
  p = p * r + 0.5;
  p = p * r + 1.0;
  p = p * r + 1.0;
  union {
    double d;
    unsigned long long u;
  } scale = {.u = (unsigned long long)((long long)k + 1023) << 52};
  return p * scale.d;
}

/* log(s) for s >= 1: s = m 2^e with m in [sqrt(1/2), sqrt(2)), log m = 2 atanh(f), f = (m - 1) / (m + 1). */
static double log_atleast1(double s) {
  const double ln2 = 0.6931471805599453;
  int e = 0;
  while (s >= 1.4142135623730951) {
    s *= 0.5;
    e += 1;
  }
  const double f = (s - 1.0) / (s + 1.0), f2 = f * f;
  /* |f| < 0.172: the odd series to f^23 is below 1e-17 relative. */
  double p = 1.0 / 23;
  p = p * f2 + 1.0 / 21;
  p = p * f2 + 1.0 / 19;
  p = p * f2 + 1.0 / 17;
  p = p * f2 + 1.0 / 15;
  p = p * f2 + 1.0 / 13;
  p = p * f2 + 1.0 / 11;
  p = p * f2 + 1.0 / 9;
  p = p * f2 + 1.0 / 7;
  p = p * f2 + 1.0 / 5;
  p = p * f2 + 1.0 / 3;
  p = p * f2 + 1.0;
  return 2.0 * f * p + e * ln2;
}

/* Sum over rows and spans of -sum_j t_j log_softmax(x)_j; writes softmax(x) per span into `soft` [rows, sw]. */
__attribute__((export_name("span_ce_forward"))) float span_ce_forward(
    const float *logits, const float *target, float *soft, int rows, int width, int offset, int sw,
    const int *sizes, int spans) {
  double loss = 0.0;
  for (int r = 0; r < rows; r++) {
    const float *x = logits + (long)r * width + offset;
    const float *t = target + (long)r * sw;
    float *s = soft + (long)r * sw;
    int at = 0;
    for (int k = 0; k < spans; k++) {
      const int n = sizes[k];
      float max = x[at];
      for (int j = 1; j < n; j++) max = x[at + j] > max ? x[at + j] : max;
      double z = 0.0, tsum = 0.0, tx = 0.0;
      for (int j = 0; j < n; j++) {
        const double e = exp_nonpositive((double)x[at + j] - max);
        s[at + j] = (float)e;
        z += e;
        tsum += t[at + j];
        tx += (double)t[at + j] * ((double)x[at + j] - max);
      }
      const double inv = 1.0 / z;
      for (int j = 0; j < n; j++) s[at + j] = (float)(s[at + j] * inv);
      /* -sum_j t_j (x_j - max - log z) */
      loss += tsum * log_atleast1(z) - tx;
      at += n;
    }
  }
  return (float)loss;
}

/* d loss / d logits = dy (sum_span(t) softmax - t) on the span columns, 0 on the others ([rows, width]). */
__attribute__((export_name("span_ce_backward"))) void span_ce_backward(
    const float *soft, const float *target, float *grad, int rows, int width, int offset, int sw,
    const int *sizes, int spans, float dy) {
  for (int r = 0; r < rows; r++) {
    const float *s = soft + (long)r * sw;
    const float *t = target + (long)r * sw;
    float *g = grad + (long)r * width;
    for (int j = 0; j < offset; j++) g[j] = 0.0f;
    for (int j = offset + sw; j < width; j++) g[j] = 0.0f;
    g += offset;
    int at = 0;
    for (int k = 0; k < spans; k++) {
      const int n = sizes[k];
      float tsum = 0.0f;
      for (int j = 0; j < n; j++) tsum += t[at + j];
      for (int j = 0; j < n; j++) g[at + j] = dy * (tsum * s[at + j] - t[at + j]);
      at += n;
    }
  }
}
