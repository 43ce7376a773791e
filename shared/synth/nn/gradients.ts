/**
 * Gradient registrations the neural synthesizers rely on (see DESIGN.md, "Models").
 *
 * 1. WGAN-GP differentiates the gradient penalty, i.e. takes a second-order gradient through the
 *    discriminator. LeakyReLU's gradient calls `greater`, and tfjs has no gradient for the comparison
 *    kernels, so the outer backward pass fails. Their true derivative is zero almost everywhere.
 * 2. tfjs's BatchMatMul gradient uses matmuls with transposeA / transposeB, which the wasm backend runs
 *    about 10x slower than an explicit transpose followed by a plain matmul (measured in bench/nn.ts).
 * 3. Only the plain matmul runs on XNNPACK, which packs the right-hand operand into its own layout on every
 *    call with a new right-hand tensor (its operator cache is keyed on that tensor, and gradients are new
 *    tensors each step). The input gradient dX = dY·Wᵀ packs the whole transposed weight [out, in] each
 *    time: on few rows (the critic sees batch / pac = 50 packed rows, 10x the data width wide) that packing
 *    and the transpose before it cost about as much as the product. transpose(W·dYᵀ) is the same sums in
 *    the same order and packs only dYᵀ [out, rows]; it is used when its copies are the smaller.
 */
import * as tf from "@tensorflow/tfjs";

const COMPARISON_KERNELS = ["Greater", "GreaterEqual", "Less", "LessEqual", "Equal", "NotEqual"];

export function registerComparisonGradients(): void {
  for (const kernelName of COMPARISON_KERNELS) {
    // Only fill the gap: if tfjs ever ships its own, keep it.
    if (tf.getGradient(kernelName) !== undefined) continue;
    tf.registerGradient({
      kernelName,
      inputsToSave: ["a", "b"],
      gradFunc: (_dy, saved) => ({
        a: () => tf.zerosLike(saved[0]),
        b: () => tf.zerosLike(saved[1]),
      }),
    });
  }
}

/** Swaps the last two axes (what matMul's transpose flags mean). */
function swapInner(x: tf.Tensor): tf.Tensor {
  if (x.rank === 2) return tf.transpose(x);
  const perm = [...Array(x.rank).keys()];
  perm[x.rank - 2] = x.rank - 1;
  perm[x.rank - 1] = x.rank - 2;
  return tf.transpose(x, perm);
}

const mm = (a: tf.Tensor, b: tf.Tensor): tf.Tensor => tf.matMul(a, b);

let fewRowInputGradient = true;

/** Whether the rank-2 input gradient may be computed as transpose(b · gᵀ) (see 3. above); off only to measure. */
export function useFewRowInputGradient(enabled: boolean): void {
  fewRowInputGradient = enabled;
}

/**
 * g · bᵀ for g [m, n], b [k, n]. Elements copied: transpose b then pack bᵀ (2kn), or transpose g, pack gᵀ and
 * transpose the [k, m] product back (2mn + mk).
 */
function timesTransposed(g: tf.Tensor, b: tf.Tensor): tf.Tensor {
  if (fewRowInputGradient && g.rank === 2 && b.rank === 2) {
    const [m, n] = g.shape;
    const k = b.shape[0];
    if (2 * m * n + m * k < 2 * k * n) return tf.transpose(mm(b, tf.transpose(g)));
  }
  return mm(g, swapInner(b));
}

const explicitTransposeMatMulGrad: tf.GradConfig = {
  kernelName: "BatchMatMul",
  inputsToSave: ["a", "b"],
  gradFunc: (dy, saved, attrs) => {
    const g = dy as tf.Tensor;
    const [a, b] = saved;
    const { transposeA, transposeB } = attrs as unknown as { transposeA: boolean; transposeB: boolean };
    if (!transposeA && !transposeB) return { a: () => timesTransposed(g, b), b: () => mm(swapInner(a), g) };
    if (!transposeA && transposeB) return { a: () => mm(g, b), b: () => mm(swapInner(g), a) };
    if (transposeA && !transposeB) return { a: () => mm(b, swapInner(g)), b: () => mm(a, g) };
    return { a: () => mm(swapInner(b), swapInner(g)), b: () => mm(swapInner(g), swapInner(a)) };
  },
};

let stockMatMulGrad: tf.GradConfig | undefined;

/** Switches the BatchMatMul gradient between explicit transposes (default, fast on wasm) and tfjs's own. */
export function useExplicitTransposeMatMulGradient(enabled: boolean): void {
  const current = tf.getGradient("BatchMatMul");
  if (stockMatMulGrad === undefined && current !== explicitTransposeMatMulGrad) stockMatMulGrad = current;
  if (enabled) tf.registerGradient(explicitTransposeMatMulGrad);
  else if (stockMatMulGrad !== undefined) tf.registerGradient(stockMatMulGrad);
}

export function registerSynthGradients(
  options: { explicitTransposeMatMul?: boolean; fewRowInputGradient?: boolean } = {},
): void {
  registerComparisonGradients();
  useExplicitTransposeMatMulGradient(options.explicitTransposeMatMul ?? true);
  useFewRowInputGradient(options.fewRowInputGradient ?? true);
}
