import { describe, expect, it } from "vitest";
import type { FitEstimate } from "../shared/synth/estimate.ts";
import { parallelFor, REPLICA_BYTES } from "./fit-parallel.ts";

const MB = 2 ** 20;
const estimate = (peakMb: number): FitEstimate => ({
  fitSeconds: 10,
  sampleSeconds: 1,
  peakMemoryBytes: peakMb * MB,
  basis: "test",
  batchSize: 500,
  stepsPerEpoch: 40,
  epochs: 300,
  secondsPerEpoch: 1,
  transformedWidth: 40,
});

describe("the runner's data-parallel replicas and the job's memory", () => {
  const two = { setting: 2 as const, cores: 2 };

  it("gives a fit its replicas when the job's memory holds them", () => {
    const { parallel } = parallelFor(two, estimate(400), 400 * MB + REPLICA_BYTES);
    expect(parallel?.threads).toBe(2);
  });

  it("trains on one thread when a replica would take the job past its memory, though one thread fits", () => {
    expect(parallelFor(two, estimate(400), 400 * MB + REPLICA_BYTES - 1)).toEqual({});
    expect(parallelFor({ setting: "auto", cores: 2 }, estimate(900), 1024 * MB)).toEqual({});
  });

  it("keeps the setting's threads when nothing is estimated, and one thread without a setting or cores", () => {
    expect(parallelFor(two, null, 1).parallel?.threads).toBe(2);
    expect(parallelFor(undefined, estimate(100), 4096 * MB)).toEqual({});
    expect(parallelFor({ setting: "auto", cores: 1 }, estimate(100), 4096 * MB)).toEqual({});
  });
});
