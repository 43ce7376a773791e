import { WebSocket } from "ws";
import { Inbox } from "./realtime-harness.ts";

export type Frame = [string | null, string | null, string, string, Record<string, unknown>];

/** A bare WebSocket speaking vsn 2.0.0 frames, to check the server's replies byte for byte. */
export class RawSocket {
  readonly frames = new Inbox<Frame>();
  readonly closed: Promise<{ code: number; reason: string }>;

  private constructor(readonly ws: WebSocket) {
    ws.on("message", (data, isBinary) => {
      if (!isBinary) this.frames.push(JSON.parse(data.toString()) as Frame);
    });
    this.closed = new Promise((resolve) =>
      ws.on("close", (code, reason) => resolve({ code, reason: reason.toString() })),
    );
  }

  static open(baseUrl: string, query: Record<string, string>): Promise<RawSocket> {
    const url = new URL("/realtime/v1/websocket", baseUrl.replace(/^http/, "ws"));
    for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
    const ws = new WebSocket(url);
    const socket = new RawSocket(ws);
    return new Promise((resolve, reject) => {
      ws.once("open", () => resolve(socket));
      ws.once("error", reject);
    });
  }

  /** The HTTP answer to an upgrade the server refuses. */
  static refusal(baseUrl: string, query: Record<string, string>): Promise<{ status: number; body: unknown }> {
    const url = new URL("/realtime/v1/websocket", baseUrl.replace(/^http/, "ws"));
    for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
    const ws = new WebSocket(url);
    return new Promise((resolve, reject) => {
      ws.once("open", () => reject(new Error("the upgrade was accepted")));
      ws.once("error", () => {});
      ws.once("unexpected-response", (_req, res) => {
        let body = "";
        res.on("data", (chunk: Buffer) => (body += chunk.toString()));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(body) }));
      });
    });
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === "string" ? frame : JSON.stringify(frame));
  }

  /** The next frame on topic with event (and ref, when given). */
  next(topic: string, event: string, ref?: string | null): Promise<Frame> {
    return this.frames.next((f) => f[2] === topic && f[3] === event && (ref === undefined || f[1] === ref));
  }

  /** Sends a heartbeat and waits for its reply: every frame sent to us before it has arrived. */
  async roundTrip(ref: string): Promise<void> {
    this.send([null, ref, "phoenix", "heartbeat", {}]);
    await this.next("phoenix", "phx_reply", ref);
  }

  close(): void {
    this.ws.close();
  }
}
