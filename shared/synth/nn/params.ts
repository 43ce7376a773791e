/**
 * A model's trainable variables under stable names, exported as named Float32 arrays (MatrixModelState:
 * no executable content). tfjs registers variables globally by name, so each set carries a unique prefix
 * that never reaches the artifact.
 */
import * as tf from "@tensorflow/tfjs";
import { synthError } from "../../errors.ts";
import type { WeightTensor } from "../matrix-model.ts";

let nextSetId = 0;

export class ParamSet {
  private readonly prefix: string;
  readonly variables: tf.Variable[] = [];
  private readonly names: string[] = [];

  constructor(kind: string) {
    nextSetId += 1;
    this.prefix = `${kind}#${nextSetId}/`;
  }

  /** Takes ownership of `initial`. Non-trainable variables (e.g. batch-norm running statistics) are saved too. */
  add(name: string, initial: tf.Tensor, trainable = true): tf.Variable {
    const v = tf.variable(initial, trainable, this.prefix + name);
    initial.dispose();
    this.variables.push(v);
    this.names.push(name);
    return v;
  }

  get trainable(): tf.Variable[] {
    return this.variables.filter((v) => v.trainable);
  }

  export(): WeightTensor[] {
    return this.variables.map((v, i) => ({
      name: this.names[i],
      shape: [...v.shape],
      data: Float32Array.from(v.dataSync() as Float32Array),
    }));
  }

  /**
   * Overwrites every variable with the weight of the same name; names and shapes must match exactly. A set
   * whose import failed is half-written and useless, so it is disposed before the error is thrown.
   */
  import(weights: WeightTensor[]): void {
    try {
      this.assignAll(weights);
    } catch (error) {
      this.dispose();
      throw error;
    }
  }

  private assignAll(weights: WeightTensor[]): void {
    const byName = new Map(weights.map((w) => [w.name, w]));
    if (byName.size !== weights.length || weights.length !== this.variables.length) {
      throw synthError("INVALID_ARTIFACT", "The artifact's weights do not match the model's", {
        expected: this.names,
        found: weights.map((w) => w.name),
      });
    }
    this.variables.forEach((v, i) => {
      const w = byName.get(this.names[i]);
      const size = v.shape.reduce((a, b) => a * b, 1);
      if (w === undefined || w.shape.join(",") !== v.shape.join(",") || w.data.length !== size) {
        throw synthError("INVALID_ARTIFACT", `Weight ${this.names[i]} is missing or has the wrong shape`, {
          weight: this.names[i],
          expected: v.shape,
          found: w?.shape ?? null,
        });
      }
      tf.tidy(() => v.assign(tf.tensor(w.data, v.shape)));
    });
  }

  dispose(): void {
    for (const v of this.variables) v.dispose();
    this.variables.length = 0;
    this.names.length = 0;
  }
}
