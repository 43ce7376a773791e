import { z } from "zod";

/** Bounds on what one client can make the local Realtime hold or do. */
export const realtimeLimitsSchema = z.object({
  maxConnections: z.number().int().min(1).default(500),
  maxChannelsPerConnection: z.number().int().min(1).default(100),
  maxBindingsPerChannel: z.number().int().min(1).default(100),
  /** Incoming frames larger than this close the connection (ws answers 1009). */
  maxFrameBytes: z
    .number()
    .int()
    .min(1024)
    .default(256 * 1024),
  /** Frames received but not yet handled; a client flooding past it is disconnected. */
  maxPendingFrames: z.number().int().min(1).default(256),
  /** Bytes queued for a client that does not read; past it the client is disconnected. */
  maxBufferedBytes: z
    .number()
    .int()
    .min(1024)
    .default(8 * 1024 * 1024),
  /** Captured changes waiting to be fanned out; past it changes are dropped (and logged). */
  maxQueuedChanges: z.number().int().min(1).default(10_000),
  /** Subscriber re-reads running at once (each holds a database connection). */
  readConcurrency: z.number().int().min(1).default(4),
  /** A connection that sends nothing (not even a heartbeat) for this long is closed. */
  idleTimeoutMs: z.number().int().min(1_000).default(60_000),
});
export type RealtimeLimits = z.output<typeof realtimeLimitsSchema>;
export type RealtimeLimitsInput = z.input<typeof realtimeLimitsSchema>;
