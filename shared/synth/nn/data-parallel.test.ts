import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { initNodeBackend } from "../../../cli/tf-backend.ts";
import { pack, ReplicaGroup, shareStarts, splitRows, unpack } from "./data-parallel.ts";
import { REPLY_FAILED, ReplicaChannel } from "./replica-channel.ts";

/** Plays the replica's side of a channel from the same thread: answers the pending command at once. */
function answer(ch: ReplicaChannel, fill: (data: Float32Array) => void, status = 0): void {
  fill(ch.data);
  ch.reply(Atomics.load(ch.control, 0), status);
}

describe("splitRows", () => {
  it("splits into whole groups, larger shares first, covering every row it can", () => {
    expect(splitRows(500, 2, 10)).toEqual([250, 250]);
    expect(splitRows(510, 2, 10)).toEqual([260, 250]);
    expect(splitRows(7, 2)).toEqual([4, 3]);
    expect(splitRows(1, 2)).toEqual([1, 0]);
    expect(splitRows(30, 4, 10)).toEqual([10, 10, 10, 0]);
    expect(shareStarts(splitRows(510, 2, 10))).toEqual([0, 260]);
  });
});

describe("pack / unpack", () => {
  it("round-trips numbers and arrays, and unpack copies", () => {
    const data = new Float32Array(8);
    const n = pack(data, [3, Float32Array.of(1, 2), Float32Array.of(4, 5, 6)]);
    expect(n).toBe(6);
    const [a, b] = unpack(data, 1, [2, 3]);
    expect([...a]).toEqual([1, 2]);
    expect([...b]).toEqual([4, 5, 6]);
    data.fill(0);
    expect([...b]).toEqual([4, 5, 6]);
  });
});

describe("ReplicaChannel", () => {
  it("times out into INTERNAL_ERROR when the replica never answers, and reports a failed reply", () => {
    const ch = ReplicaChannel.create(4);
    ch.command(1, (d) => d.set([1]));
    expect(() => ch.awaitReply(30)).toThrow(expect.objectContaining({ code: "INTERNAL_ERROR" }));
    ch.command(2, () => undefined);
    answer(ch, () => undefined, REPLY_FAILED);
    expect(() => ch.awaitReply()).toThrow(/replica failed/);
  });

  it("hands the replica each command once, in order", () => {
    const ch = ReplicaChannel.create(4);
    ch.command(5, (d) => d.set([42]));
    expect(ch.nextCommand(0)).toEqual({ seq: 1, kind: 5 });
    expect(ch.data[0]).toBe(42);
    answer(ch, (d) => d.set([7]));
    ch.awaitReply();
    expect(ch.data[0]).toBe(7);
  });
});

describe("ReplicaGroup.average", () => {
  beforeAll(async () => {
    await initNodeBackend({ backend: "wasm", fallback: false });
  });

  it("weights each share's gradient and loss by its rows, and sends the average back to every replica", () => {
    const v = tf.variable(tf.zeros([2, 2]), true, "dp-test/w");
    const u = tf.variable(tf.zeros([3]), true, "dp-test/u");
    const channels = [ReplicaChannel.create(16), ReplicaChannel.create(16)];
    const group = new ReplicaGroup(channels, []);
    expect(group.threads).toBe(3);
    group.send(1, (i) => [i]);
    // Replica i answers: loss 10 * (i + 1), gradient all (i + 1) for w, none sent for u (zeros).
    channels.forEach((ch, i) =>
      answer(ch, (d) => d.set([10 * (i + 1), i + 1, i + 1, i + 1, i + 1, 0, 0, 0])),
    );
    const own = { values: [4], grads: { [v.name]: tf.fill([2, 2], 8), [u.name]: tf.fill([3], 3) } };
    const { values, grads } = group.average(own, [v, u], [0.5, 0.25, 0.25], 2);
    expect(values[0]).toBeCloseTo(4 * 0.5 + 10 * 0.25 + 20 * 0.25, 6);
    expect([...(grads[v.name].dataSync() as Float32Array)]).toEqual([4.75, 4.75, 4.75, 4.75]);
    expect([...(grads[u.name].dataSync() as Float32Array)]).toEqual([1.5, 1.5, 1.5]);
    for (const ch of channels) {
      // The apply command carries the average after the loss values.
      expect(ch.nextCommand(1)).toEqual({ seq: 2, kind: 2 });
      expect([...ch.data.subarray(1, 8)]).toEqual([4.75, 4.75, 4.75, 4.75, 1.5, 1.5, 1.5]);
      answer(ch, () => undefined);
    }
    channels.forEach((ch) => ch.awaitReply());
    tf.dispose([v, u, ...Object.values(grads), ...Object.values(own.grads)]);
  });
});
