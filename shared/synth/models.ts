import { z } from "zod";
import { synthError } from "../errors.ts";
import type { MatrixModel, MatrixModelState } from "./matrix-model.ts";
import { CTGAN } from "./ctgan.ts";
import { TVAE } from "./tvae.ts";

/** The synthesizers a user can ask for. The neural ones share the reversible transformer and MatrixModel. */
export const MODEL_KINDS = ["ctgan", "tvae", "gaussian_copula"] as const;
export const modelKindSchema = z.enum(MODEL_KINDS);
export type ModelKind = z.infer<typeof modelKindSchema>;
export type NeuralKind = Exclude<ModelKind, "gaussian_copula">;

export function isNeural(kind: ModelKind): kind is NeuralKind {
  return kind !== "gaussian_copula";
}

/** A fresh, unfitted neural model; the config is validated (with the reference defaults) by the model. */
export function createMatrixModel(kind: NeuralKind, config: Record<string, unknown>): MatrixModel {
  switch (kind) {
    case "ctgan":
      return new CTGAN(config);
    case "tvae":
      return new TVAE(config);
  }
}

/** A fitted neural model restored from its state (weights and all), ready to sample. */
export function restoreMatrixModel(state: MatrixModelState): MatrixModel {
  switch (state.kind) {
    case "ctgan":
      return CTGAN.fromState(state);
    case "tvae":
      return TVAE.fromState(state);
    default:
      throw synthError("INVALID_ARTIFACT", `unknown model kind ${String((state as { kind: unknown }).kind)}`);
  }
}
