import { describe, expect, it } from "vitest";
import { isSynthError } from "../../errors.ts";
import { resolveBatchSize, type BatchRule } from "./batch.ts";

const TVAE: BatchRule = { model: "TVAE", minSteps: 10 };
const CTGAN: BatchRule = { model: "CTGAN", multiples: [10, 2], minSteps: 1 };

describe("resolveBatchSize", () => {
  it("defaults to the reference's 500, at most rows / minSteps, in whole multiples", () => {
    expect(resolveBatchSize(undefined, 100_000, TVAE)).toBe(500);
    expect(resolveBatchSize(undefined, 5000, TVAE)).toBe(500);
    expect(resolveBatchSize(undefined, 3000, TVAE)).toBe(300);
    // The penguins split: 240 training rows.
    expect(resolveBatchSize(undefined, 240, TVAE)).toBe(24);
    expect(resolveBatchSize(undefined, 240, CTGAN)).toBe(240);
    expect(resolveBatchSize(undefined, 245, CTGAN)).toBe(240);
    expect(resolveBatchSize(undefined, 100_000, CTGAN)).toBe(500);
    expect(resolveBatchSize(undefined, 245, { ...CTGAN, multiples: [3, 2] })).toBe(240);
    expect(resolveBatchSize(undefined, 249, { ...CTGAN, multiples: [3] })).toBe(249);
    expect(resolveBatchSize(undefined, 5, TVAE)).toBe(1);
    // Below one pac group CTGAN still needs a whole one (it draws rows with replacement).
    expect(resolveBatchSize(undefined, 5, CTGAN)).toBe(10);
  });

  it("keeps an explicit batch up to the rows and refuses a larger one", () => {
    expect(resolveBatchSize(240, 240, TVAE)).toBe(240);
    expect(resolveBatchSize(7, 240, TVAE)).toBe(7);
    let caught: unknown;
    try {
      resolveBatchSize(500, 245, CTGAN);
    } catch (error) {
      caught = error;
    }
    expect(isSynthError(caught, "INVALID_MODEL_CONFIG")).toBe(true);
    expect((caught as Error).message).toBe(
      "batch_size (500) is larger than the 245 training rows: leave it unset for the default (240 here) or choose at most 240",
    );
    expect((caught as { details: unknown }).details).toEqual({ model: "CTGAN", batch_size: 500, rows: 245 });
  });
});
