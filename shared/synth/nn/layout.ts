/**
 * Column layout of the neural models. The transformer's matrix interleaves spans (tanh scalar, softmax of
 * modes, softmax of levels...). Per-span activations sliced column by column would cost several tfjs ops
 * per span; instead the networks work in an *internal* column order: every tanh column first, then the
 * softmax spans grouped by size, so all spans of size k form one [batch, count, k] block and take one
 * native softmax (exact and numerically stable, unlike a shared-shift softmax against a group-membership
 * matrix). A network's first and last linear layers do not care about column order, so only the data
 * going in (once, at fit) and the samples coming out are permuted, in plain JS.
 */
import * as tf from "@tensorflow/tfjs";
import { synthError } from "../../errors.ts";
import type { ColumnTransformInfo } from "../matrix-model.ts";

export interface SoftmaxBlock {
  /** Size of every span in this block. */
  size: number;
  count: number;
  /** Offset of the block inside the softmax part (internal column - tanhCount). */
  start: number;
}

export interface DiscreteColumn {
  /** Index into TrainingMatrix.columns. */
  columnIndex: number;
  dim: number;
  /** First column of its span in the data layout. */
  dataStart: number;
  /** First column of its span in the softmax part of the internal layout. */
  softmaxStart: number;
  /** First column of its one-hot inside CTGAN's conditional vector. */
  condStart: number;
}

export interface SpanLayout {
  width: number;
  tanhCount: number;
  softmaxWidth: number;
  /** internal column j holds data column order[j]. */
  order: Int32Array;
  blocks: SoftmaxBlock[];
  /** Discrete columns (one softmax span, as the reference's DataSampler defines them), in data order. */
  discrete: DiscreteColumn[];
  condWidth: number;
}

interface SpanPos {
  dataStart: number;
  dim: number;
  columnIndex: number;
}

let groupEqualSpans = true;

/**
 * Benchmark switch: with grouping off every span is its own block (one slice + softmax per span, the
 * reference's way). The column order is the same either way, so weights are interchangeable.
 */
export function setSpanGrouping(enabled: boolean): void {
  groupEqualSpans = enabled;
}

export function buildLayout(columns: ColumnTransformInfo[], width: number): SpanLayout {
  const tanh: number[] = [];
  const bySize = new Map<number, SpanPos[]>();
  let dataStart = 0;
  columns.forEach((info, columnIndex) => {
    for (const span of info.spans) {
      if (!Number.isInteger(span.dim) || span.dim < 1) {
        throw synthError(
          "VALIDATION_ERROR",
          `Span of column ${info.column} has an invalid width ${span.dim}`,
          {
            column: info.column,
          },
        );
      }
      if (span.activation === "tanh") {
        for (let j = 0; j < span.dim; j++) tanh.push(dataStart + j);
      } else {
        const list = bySize.get(span.dim) ?? [];
        list.push({ dataStart, dim: span.dim, columnIndex });
        bySize.set(span.dim, list);
      }
      dataStart += span.dim;
    }
  });
  if (dataStart !== width) {
    throw synthError("VALIDATION_ERROR", `The spans cover ${dataStart} columns but the matrix has ${width}`, {
      spans: dataStart,
      width,
    });
  }
  const order = new Int32Array(width);
  tanh.forEach((c, j) => (order[j] = c));
  const blocks: SoftmaxBlock[] = [];
  const softmaxStartOf = new Map<number, number>();
  let offset = 0;
  for (const size of [...bySize.keys()].sort((a, b) => a - b)) {
    const spans = bySize.get(size) as SpanPos[];
    if (groupEqualSpans) blocks.push({ size, count: spans.length, start: offset });
    for (const s of spans) {
      if (!groupEqualSpans) blocks.push({ size, count: 1, start: offset });
      softmaxStartOf.set(s.dataStart, offset);
      for (let j = 0; j < size; j++) order[tanh.length + offset + j] = s.dataStart + j;
      offset += size;
    }
  }
  const discrete: DiscreteColumn[] = [];
  let condStart = 0;
  dataStart = 0;
  columns.forEach((info, columnIndex) => {
    const only = info.spans.length === 1 ? info.spans[0] : undefined;
    if (only !== undefined && only.activation === "softmax") {
      discrete.push({
        columnIndex,
        dim: only.dim,
        dataStart,
        softmaxStart: softmaxStartOf.get(dataStart) as number,
        condStart,
      });
      condStart += only.dim;
    }
    for (const span of info.spans) dataStart += span.dim;
  });
  return {
    width,
    tanhCount: tanh.length,
    softmaxWidth: offset,
    order,
    blocks,
    discrete,
    condWidth: condStart,
  };
}

/** Row-major data layout -> internal layout. */
export function toInternal(data: Float32Array, rows: number, layout: SpanLayout): Float32Array {
  const { width, order } = layout;
  const out = new Float32Array(rows * width);
  for (let r = 0; r < rows; r++) {
    const base = r * width;
    for (let j = 0; j < width; j++) out[base + j] = data[base + order[j]];
  }
  return out;
}

/** Internal layout -> row-major data layout, keeping the first `rows` rows. */
export function fromInternal(internal: Float32Array, rows: number, layout: SpanLayout): Float32Array {
  const { width, order } = layout;
  const out = new Float32Array(rows * width);
  for (let r = 0; r < rows; r++) {
    const base = r * width;
    for (let j = 0; j < width; j++) out[base + order[j]] = internal[base + j];
  }
  return out;
}

function mapBlocks(
  x: tf.Tensor2D,
  layout: SpanLayout,
  f: (block: tf.Tensor3D) => tf.Tensor3D,
): tf.Tensor2D[] {
  const rows = x.shape[0];
  return layout.blocks.map(({ size, count, start }) => {
    const part = tf.slice(x, [0, start], [rows, size * count]);
    return tf.reshape(f(tf.reshape(part, [rows, count, size])), [rows, size * count]);
  });
}

function softmaxPart(logits: tf.Tensor2D, layout: SpanLayout): tf.Tensor2D {
  const rows = logits.shape[0];
  return tf.slice(logits, [0, layout.tanhCount], [rows, layout.softmaxWidth]);
}

function tanhPart(logits: tf.Tensor2D, layout: SpanLayout): tf.Tensor2D {
  return tf.slice(logits, [0, 0], [logits.shape[0], layout.tanhCount]);
}

/**
 * The generator's output activation (reference `_apply_activate`): tanh on scalar spans, Gumbel-softmax
 * (`gumbel` = -log(-log U) noise for the softmax part, temperature `tau`) on every softmax span.
 */
export function activateSpans(
  logits: tf.Tensor2D,
  layout: SpanLayout,
  gumbel: tf.Tensor2D | null,
  tau: number,
): tf.Tensor2D {
  const parts: tf.Tensor2D[] = [];
  if (layout.tanhCount > 0) parts.push(tf.tanh(tanhPart(logits, layout)));
  if (layout.softmaxWidth > 0) {
    let soft = softmaxPart(logits, layout);
    if (gumbel !== null) soft = tf.add(soft, gumbel);
    if (tau !== 1) soft = tf.div(soft, tau);
    parts.push(...mapBlocks(soft, layout, (b) => tf.softmax(b)));
  }
  return parts.length === 1 ? parts[0] : tf.concat(parts, 1);
}

/** Per-span log-softmax of the softmax part: [rows, softmaxWidth]. */
export function logSoftmaxSpans(logits: tf.Tensor2D, layout: SpanLayout): tf.Tensor2D {
  const parts = mapBlocks(softmaxPart(logits, layout), layout, (b) => tf.logSoftmax(b));
  return parts.length === 1 ? parts[0] : tf.concat(parts, 1);
}

/**
 * A fused span cross-entropy the runtime may register (Node: cli/wasm-span-loss.ts, on tfjs-wasm's heap):
 * inputs logits [rows, width] and target [rows, softmaxWidth], attributes SpanCrossEntropyAttrs; outputs
 * the summed loss (a scalar) and the spans' softmax [rows, softmaxWidth], which its gradient kernel takes
 * (inputs dy, soft, target; output d loss / d logits, [rows, width]).
 */
export const SPAN_CE_KERNEL = "SynthSpanCrossEntropy";
export const SPAN_CE_GRAD_KERNEL = "SynthSpanCrossEntropyGrad";

export interface SpanCrossEntropyAttrs {
  /** The first softmax column (the tanh columns come first). */
  offset: number;
  /** Every softmax span's width, in column order. */
  sizes: number[];
  /** Columns of the logits. */
  width: number;
}

let spanKernelOff = false;

/** Makes the span cross-entropy use the tfjs op chain where the kernels exist: the bench's baseline. */
export function forceSpanCrossEntropyOpChain(on: boolean): void {
  spanKernelOff = on;
}

/** Whether spanCrossEntropySum runs the fused kernels on the active backend. */
export function spanCrossEntropyKernelActive(): boolean {
  const backend = tf.getBackend();
  return (
    !spanKernelOff &&
    tf.getKernel(SPAN_CE_KERNEL, backend) !== undefined &&
    tf.getKernel(SPAN_CE_GRAD_KERNEL, backend) !== undefined
  );
}

/** Every softmax span's width, in column order (the blocks hold equal spans side by side). */
export function spanSizes(layout: SpanLayout): number[] {
  return layout.blocks.flatMap(({ size, count }) => new Array<number>(count).fill(size));
}

function fusedSpanCrossEntropy(logits: tf.Tensor2D, layout: SpanLayout, target: tf.Tensor2D): tf.Scalar {
  const attrs: SpanCrossEntropyAttrs = {
    offset: layout.tanhCount,
    sizes: spanSizes(layout),
    width: logits.shape[1],
  };
  const named = attrs as unknown as tf.NamedAttrMap;
  const f = tf.customGrad((x, t, save) => {
    const inputs = { logits: x as tf.Tensor, target: t as tf.Tensor };
    const [loss, soft] = tf.engine().runKernel(SPAN_CE_KERNEL, inputs, named) as tf.Tensor[];
    (save as tf.GradSaveFunc)([soft, t as tf.Tensor]);
    return {
      value: loss,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => [
        tf
          .engine()
          .runKernel(SPAN_CE_GRAD_KERNEL, { dy, soft: saved[0], target: saved[1] }, named) as tf.Tensor,
        tf.zerosLike(saved[1]),
      ],
    };
  });
  return f(logits, target) as tf.Scalar;
}

/**
 * Summed cross-entropy of every softmax span against `target` ([rows, softmaxWidth], one-hot per span
 * that counts, zero elsewhere): -sum(target * log_softmax(logits)). One op chain for all spans instead of
 * one cross_entropy call per span, or two fused kernels (forward and gradient) where the runtime has them:
 * the op chain is ~80 small kernels per step with its gradient, most of a small TVAE step's elementwise time.
 */
export function spanCrossEntropySum(logits: tf.Tensor2D, layout: SpanLayout, target: tf.Tensor2D): tf.Scalar {
  if (layout.softmaxWidth > 0 && spanCrossEntropyKernelActive()) {
    return fusedSpanCrossEntropy(logits, layout, target);
  }
  return tf.neg(tf.sum(tf.mul(target, logSoftmaxSpans(logits, layout)))) as tf.Scalar;
}

export { softmaxPart, tanhPart };
