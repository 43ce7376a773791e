/**
 * Adam with PyTorch's semantics (torch.optim.Adam): `weight_decay` is an L2 term added to the gradient
 * before the moments (not decoupled AdamW), eps 1e-8 added to the bias-corrected sqrt of the second moment.
 * tfjs's own Adam has no weight decay, hence this small one.
 */
import * as tf from "@tensorflow/tfjs";

/**
 * A fused update kernel the runtime may register (Node: cli/wasm-adam.ts, wasm SIMD on tfjs-wasm's heap):
 * inputs p, g, m, v; attributes AdamKernelAttrs; outputs [p', m', v'], bit-identical to the op chain below.
 */
export const ADAM_KERNEL = "SynthAdamUpdate";

export interface AdamKernelAttrs {
  weightDecay: number;
  beta1: number;
  beta2: number;
  sqrtBias2: number;
  eps: number;
  stepSize: number;
}

let opChainForced = false;

/** Makes Adam use the op chain even where the kernel is registered: the bench's baseline and the tests'. */
export function forceAdamOpChain(on: boolean): void {
  opChainForced = on;
}

/** Whether Adam runs the fused kernel on the active backend. */
export function adamKernelActive(): boolean {
  return !opChainForced && tf.getKernel(ADAM_KERNEL, tf.getBackend()) !== undefined;
}

export interface AdamConfig {
  lr: number;
  beta1: number;
  beta2: number;
  weightDecay: number;
  eps?: number;
}

export class Adam {
  private readonly m: tf.Variable[];
  private readonly v: tf.Variable[];
  private t = 0;

  constructor(
    private readonly params: tf.Variable[],
    private readonly config: AdamConfig,
  ) {
    // tf.variable shares the initial tensor's data but does not own the tensor: tidy disposes it.
    this.m = tf.tidy(() => params.map((p) => tf.variable(tf.zerosLike(p), false)));
    this.v = tf.tidy(() => params.map((p) => tf.variable(tf.zerosLike(p), false)));
  }

  /**
   * Applies one update; `grads` are keyed by variable name (tf.variableGrads' output). Where the runtime
   * registered ADAM_KERNEL, one kernel call per parameter replaces the ~15 ops (each a full pass over it).
   */
  step(grads: tf.NamedTensorMap): void {
    this.t += 1;
    const { lr, beta1, beta2, weightDecay } = this.config;
    const eps = this.config.eps ?? 1e-8;
    const stepSize = lr / (1 - beta1 ** this.t);
    const sqrtBias2 = Math.sqrt(1 - beta2 ** this.t);
    const attrs: AdamKernelAttrs = { weightDecay, beta1, beta2, sqrtBias2, eps, stepSize };
    const fused = adamKernelActive();
    tf.tidy(() => {
      this.params.forEach((p, i) => {
        let g = grads[p.name];
        if (g === undefined) return;
        if (fused) {
          const inputs = { p, g, m: this.m[i], v: this.v[i] };
          const [p1, m1, v1] = tf
            .engine()
            .runKernel(ADAM_KERNEL, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
          this.m[i].assign(m1);
          this.v[i].assign(v1);
          p.assign(p1);
          return;
        }
        if (weightDecay !== 0) g = tf.add(g, tf.mul(p, weightDecay));
        const m = tf.add(tf.mul(this.m[i], beta1), tf.mul(g, 1 - beta1));
        const v = tf.add(tf.mul(this.v[i], beta2), tf.mul(tf.square(g), 1 - beta2));
        this.m[i].assign(m);
        this.v[i].assign(v);
        p.assign(tf.sub(p, tf.mul(tf.div(m, tf.add(tf.div(tf.sqrt(v), sqrtBias2), eps)), stepSize)));
      });
    });
  }

  dispose(): void {
    for (const x of [...this.m, ...this.v]) x.dispose();
  }
}
