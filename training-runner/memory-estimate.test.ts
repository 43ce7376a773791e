import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { loadTable } from "../shared/data/load.ts";
import { rowCount } from "../shared/data/table.ts";
import { isSynthError } from "../shared/errors.ts";
import { estimateFit } from "../shared/synth/estimate.ts";
import { assertMemoryFits, categoricalLevels, fitEstimateInputOf } from "./memory-estimate.ts";

const MB = 2 ** 20;

describe("memory estimate of a job", () => {
  it("counts the learned columns and levels of penguins as the estimator expects", async () => {
    const { table, metadata } = await loadTable(
      new Uint8Array(await readFile("/work/shared/datasets/penguins.csv")),
      {
        format: "csv",
      },
    );
    const levels = categoricalLevels(table, metadata);
    // species 3, island 3, sex 2 + missing.
    expect(Object.fromEntries(levels)).toMatchObject({ species: 3, island: 3, sex: 3 });
    const input = {
      model: "ctgan" as const,
      modelConfig: { epochs: 5, batch_size: 100 },
      rows: rowCount(table),
      metadata,
      levels,
      sampleSize: 1000,
    };
    const fitInput = fitEstimateInputOf(input);
    expect(fitInput).toMatchObject({
      model: "ctgan",
      rows: 344,
      epochs: 5,
      batchSize: 100,
      sampleSize: 1000,
      columns: { categoriesTotal: 9 },
    });
    const estimate = estimateFit(fitInput!);
    expect(assertMemoryFits(input, estimate.peakMemoryBytes)?.peakMemoryBytes).toBe(estimate.peakMemoryBytes);
    let refused: unknown;
    try {
      assertMemoryFits(input, estimate.peakMemoryBytes - 1);
    } catch (error) {
      refused = error;
    }
    expect(isSynthError(refused, "MEMORY_LIMIT")).toBe(true);
    expect(isSynthError(refused) && refused.details).toMatchObject({
      retryable: false,
      limit_bytes: estimate.peakMemoryBytes - 1,
    });
    expect(isSynthError(refused) && refused.message).toMatch(/MB/);
  });

  it("grows with the rows, and refuses a large CTGAN job on a small runner", () => {
    const metadata = {
      columns: Array.from({ length: 30 }, (_, i) => ({
        name: `c${i}`,
        sdtype: i % 2 ? ("numerical" as const) : ("categorical" as const),
      })),
    };
    const at = (rows: number) =>
      estimateFit(fitEstimateInputOf({ model: "ctgan", modelConfig: {}, rows, metadata, sampleSize: rows })!)
        .peakMemoryBytes;
    expect(at(1_000_000)).toBeGreaterThan(at(10_000));
    expect(() =>
      assertMemoryFits(
        { model: "ctgan", modelConfig: {}, rows: 1_000_000, metadata, sampleSize: 1_000_000 },
        512 * MB,
      ),
    ).toThrow(/more than the 512 MB/);
  });

  it("has nothing to estimate when no column is learned", () => {
    expect(
      fitEstimateInputOf({
        model: "gaussian_copula",
        modelConfig: {},
        rows: 10,
        metadata: { columns: [{ name: "id", sdtype: "id" }] },
        sampleSize: 10,
      }),
    ).toBeNull();
  });
});
