import { z } from "zod";

/**
 * Phoenix channel frames as realtime-js speaks them (reference/supabase-protocols.md 3.1): vsn 2.0.0 text
 * frames are JSON arrays `[join_ref, ref, topic, event, payload]`, vsn 1.0.0 frames the same fields as an
 * object. Payloads are JSON objects for every event a client sends.
 */
export const PHOENIX_VERSIONS = ["1.0.0", "2.0.0"] as const;
export type PhoenixVersion = (typeof PHOENIX_VERSIONS)[number];

export interface PhoenixMessage {
  joinRef: string | null;
  ref: string | null;
  topic: string;
  event: string;
  payload: Record<string, unknown>;
}

const ref = z.string().max(64).nullable();
const topic = z.string().min(1).max(512);
const event = z.string().min(1).max(128);
const payload = z.record(z.string(), z.unknown());

const arrayFrame = z.tuple([ref, ref, topic, event, payload]);
const objectFrame = z.object({
  join_ref: ref.optional(),
  ref: ref.optional(),
  topic,
  event,
  payload,
});

/** The message in a text frame, or null when the frame is not one (bad JSON, wrong shape). */
export function decodeFrame(text: string, vsn: PhoenixVersion): PhoenixMessage | null {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return null;
  }
  if (vsn === "2.0.0") {
    const parsed = arrayFrame.safeParse(json);
    if (!parsed.success) return null;
    const [joinRef, r, t, e, p] = parsed.data;
    return { joinRef, ref: r, topic: t, event: e, payload: p };
  }
  const parsed = objectFrame.safeParse(json);
  if (!parsed.success) return null;
  const { join_ref, ref: r, topic: t, event: e, payload: p } = parsed.data;
  return { joinRef: join_ref ?? null, ref: r ?? null, topic: t, event: e, payload: p };
}

export function encodeFrame(message: PhoenixMessage, vsn: PhoenixVersion): string {
  const { joinRef, ref: r, topic: t, event: e, payload: p } = message;
  if (vsn === "2.0.0") return JSON.stringify([joinRef, r, t, e, p]);
  return JSON.stringify({ join_ref: joinRef, ref: r, topic: t, event: e, payload: p });
}

/** Where a binary frame came from: realtime-js sends broadcast pushes as binary kind 3 (userBroadcastPush). */
export interface BinaryPushHeader {
  joinRef: string;
  ref: string;
  topic: string;
}

const USER_BROADCAST_PUSH = 3;
const HEADER_BYTES = 7;

/** The refs and topic of a binary broadcast push, or null when the frame is not a well-formed one. */
export function decodeBinaryPushHeader(data: Buffer): BinaryPushHeader | null {
  if (data.length < HEADER_BYTES || data[0] !== USER_BROADCAST_PUSH) return null;
  const joinRefLength = data[1];
  const refLength = data[2];
  const topicLength = data[3];
  if (HEADER_BYTES + joinRefLength + refLength + topicLength > data.length) return null;
  let offset = HEADER_BYTES;
  const take = (length: number): string => {
    const text = data.subarray(offset, offset + length).toString("utf8");
    offset += length;
    return text;
  };
  const joinRef = take(joinRefLength);
  const r = take(refLength);
  const t = take(topicLength);
  return { joinRef, ref: r, topic: t };
}
