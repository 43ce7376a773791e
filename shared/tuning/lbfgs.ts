/**
 * Box-bounded quasi-Newton minimisation: L-BFGS directions (two-loop recursion, memory 10) on the free
 * variables, projected onto the box, with a backtracking Armijo line search along the projected path.
 * scikit-optimize fits its GP's kernel and refines its acquisition with scipy's L-BFGS-B; this is a smaller
 * relative of it (no Cauchy point / subspace minimisation), enough for the few, smooth, low-dimensional
 * problems the tuner solves.
 */
export interface BoxProblem {
  /** Value and gradient at x. */
  f(x: Float64Array): { value: number; grad: Float64Array };
  lower: Float64Array;
  upper: Float64Array;
}

export interface LbfgsOptions {
  maxIter?: number;
  memory?: number;
  /** Stop when the projected gradient's largest component is below this. */
  gtol?: number;
  /** Stop when the value improves by less than this (relative). */
  ftol?: number;
}

export interface LbfgsResult {
  x: Float64Array;
  value: number;
  iterations: number;
}

const clamp = (v: number, lo: number, hi: number): number => (v < lo ? lo : v > hi ? hi : v);

function projectedGradientNorm(x: Float64Array, g: Float64Array, lo: Float64Array, hi: Float64Array): number {
  let m = 0;
  for (let i = 0; i < x.length; i++) {
    const step = clamp(x[i] - g[i], lo[i], hi[i]) - x[i];
    m = Math.max(m, Math.abs(step));
  }
  return m;
}

export function minimizeBox(problem: BoxProblem, x0: Float64Array, options: LbfgsOptions = {}): LbfgsResult {
  const { lower: lo, upper: hi } = problem;
  const n = x0.length;
  const maxIter = options.maxIter ?? 100;
  const memory = options.memory ?? 10;
  const gtol = options.gtol ?? 1e-6;
  const ftol = options.ftol ?? 1e-10;
  let x = Float64Array.from(x0, (v, i) => clamp(v, lo[i], hi[i]));
  let { value, grad } = problem.f(x);
  const ss: Float64Array[] = [];
  const ys: Float64Array[] = [];
  let iter = 0;
  for (; iter < maxIter; iter++) {
    if (!Number.isFinite(value) || projectedGradientNorm(x, grad, lo, hi) < gtol) break;
    // Variables pinned at a bound with the gradient pushing outwards are held fixed this iteration.
    const free = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const pinned = (x[i] <= lo[i] && grad[i] > 0) || (x[i] >= hi[i] && grad[i] < 0);
      free[i] = pinned ? 0 : 1;
    }
    const q = Float64Array.from(grad, (g, i) => (free[i] ? g : 0));
    const k = ss.length;
    const alpha = new Float64Array(k);
    const rho = new Float64Array(k);
    for (let j = k - 1; j >= 0; j--) {
      let sy = 0;
      let sq = 0;
      for (let i = 0; i < n; i++) {
        if (!free[i]) continue;
        sy += ss[j][i] * ys[j][i];
        sq += ss[j][i] * q[i];
      }
      rho[j] = sy > 1e-12 ? 1 / sy : 0;
      alpha[j] = rho[j] * sq;
      for (let i = 0; i < n; i++) if (free[i]) q[i] -= alpha[j] * ys[j][i];
    }
    if (k > 0) {
      let sy = 0;
      let yy = 0;
      for (let i = 0; i < n; i++) {
        if (!free[i]) continue;
        sy += ss[k - 1][i] * ys[k - 1][i];
        yy += ys[k - 1][i] * ys[k - 1][i];
      }
      const gamma = sy > 1e-12 && yy > 0 ? sy / yy : 1;
      for (let i = 0; i < n; i++) q[i] *= gamma;
    }
    for (let j = 0; j < k; j++) {
      let yr = 0;
      for (let i = 0; i < n; i++) if (free[i]) yr += ys[j][i] * q[i];
      const beta = rho[j] * yr;
      for (let i = 0; i < n; i++) if (free[i]) q[i] += ss[j][i] * (alpha[j] - beta);
    }
    let d = Float64Array.from(q, (v) => -v);
    let slope = 0;
    for (let i = 0; i < n; i++) slope += d[i] * grad[i];
    if (!(slope < 0)) {
      // Not a descent direction (curvature memory stale): fall back to steepest descent.
      ss.length = 0;
      ys.length = 0;
      d = Float64Array.from(grad, (g, i) => (free[i] ? -g : 0));
      slope = 0;
      for (let i = 0; i < n; i++) slope += d[i] * grad[i];
      if (!(slope < 0)) break;
    }
    // The first step of steepest descent is scaled so it moves at most a tenth of the box.
    let t = 1;
    if (k === 0) {
      let dmax = 0;
      let span = Infinity;
      for (let i = 0; i < n; i++) {
        dmax = Math.max(dmax, Math.abs(d[i]));
        if (Number.isFinite(hi[i] - lo[i])) span = Math.min(span, hi[i] - lo[i]);
      }
      if (dmax > 0 && Number.isFinite(span)) t = Math.min(1, (0.1 * span) / dmax);
    }
    let accepted = false;
    let xNew = x;
    let next = { value, grad };
    for (let ls = 0; ls < 30; ls++) {
      xNew = Float64Array.from(x, (v, i) => clamp(v + t * d[i], lo[i], hi[i]));
      let decrease = 0;
      for (let i = 0; i < n; i++) decrease += grad[i] * (xNew[i] - x[i]);
      next = problem.f(xNew);
      if (Number.isFinite(next.value) && next.value <= value + 1e-4 * decrease) {
        accepted = true;
        break;
      }
      t *= 0.5;
    }
    if (!accepted) break;
    const s = Float64Array.from(xNew, (v, i) => v - x[i]);
    const y = Float64Array.from(next.grad, (v, i) => v - grad[i]);
    let sy = 0;
    for (let i = 0; i < n; i++) sy += s[i] * y[i];
    if (sy > 1e-12) {
      ss.push(s);
      ys.push(y);
      if (ss.length > memory) {
        ss.shift();
        ys.shift();
      }
    }
    const improvement = value - next.value;
    x = xNew;
    value = next.value;
    grad = next.grad;
    if (improvement <= ftol * Math.max(1, Math.abs(value))) break;
  }
  return { x, value, iterations: iter };
}

/** Central finite-difference gradient, for objectives without an analytic one (the acquisition). */
export function withNumericGradient(
  f: (x: Float64Array) => number,
  lower: Float64Array,
  upper: Float64Array,
  h = 1e-6,
): BoxProblem["f"] {
  return (x) => {
    const value = f(x);
    const grad = new Float64Array(x.length);
    const probe = Float64Array.from(x);
    for (let i = 0; i < x.length; i++) {
      const a = Math.max(lower[i], x[i] - h);
      const b = Math.min(upper[i], x[i] + h);
      probe[i] = a;
      const fa = f(probe);
      probe[i] = b;
      const fb = f(probe);
      probe[i] = x[i];
      grad[i] = b > a ? (fb - fa) / (b - a) : 0;
    }
    return { value, grad };
  };
}
