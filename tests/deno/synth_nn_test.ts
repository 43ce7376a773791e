// Runs under Deno (npm run test:deno): the neural models and their tfjs wasm backend must work there
// unchanged, with the .wasm binary handed over as bytes (no Node file loader).
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../shared/synth/backend.ts";
import { CTGAN } from "../../shared/synth/ctgan.ts";
import { TVAE } from "../../shared/synth/tvae.ts";
import { createRng } from "../../shared/random.ts";
import type { ColumnTransformInfo, TrainingMatrix } from "../../shared/synth/matrix-model.ts";

function assert(condition: boolean, message: string): void {
  if (!condition) throw new Error(message);
}

function tinyMatrix(): TrainingMatrix {
  const columns: ColumnTransformInfo[] = [
    {
      column: "x",
      kind: "continuous",
      spans: [
        { dim: 1, activation: "tanh" },
        { dim: 2, activation: "softmax" },
      ],
    },
    { column: "c", kind: "discrete", spans: [{ dim: 3, activation: "softmax" }] },
  ];
  const rng = createRng(5);
  const rows = 200;
  const width = 6;
  const data = new Float32Array(rows * width);
  for (let r = 0; r < rows; r++) {
    const level = rng.int(3);
    data[r * width] = Math.tanh(rng.normal() * 0.3);
    data[r * width + 1 + (level === 0 ? 0 : 1)] = 1;
    data[r * width + 3 + level] = 1;
  }
  return { data, rows, width, columns };
}

Deno.test("CTGAN and TVAE train and sample reproducibly on the wasm backend under Deno", async () => {
  const bytes = await Deno.readFile(
    new URL(
      "../../node_modules/@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm",
      import.meta.url,
    ),
  );
  const info = await initBackend({ backend: "wasm", wasmBinary: bytes, fallback: false });
  assert(info.backend === "wasm" && tf.getBackend() === "wasm", `expected wasm, got ${JSON.stringify(info)}`);
  const matrix = tinyMatrix();
  for (const make of [
    () =>
      new CTGAN({
        epochs: 2,
        batch_size: 100,
        embedding_dim: 8,
        generator_dim: [16],
        discriminator_dim: [16],
      }),
    () =>
      new TVAE({ epochs: 2, batch_size: 100, embedding_dim: 8, compress_dims: [16], decompress_dims: [16] }),
  ]) {
    const samples: Float32Array[] = [];
    for (let run = 0; run < 2; run++) {
      const model = make();
      await model.fit(matrix, { rng: createRng(1) });
      samples.push(await model.sampleMatrix(50, createRng(2)));
      model.dispose();
    }
    assert(samples[0].length === 50 * matrix.width, "sample shape");
    assert(
      samples[0].every((v, i) => v === samples[1][i]),
      "same seed, same samples",
    );
  }
  assert(tf.memory().numTensors === 0, `tensors left: ${tf.memory().numTensors}`);
});
