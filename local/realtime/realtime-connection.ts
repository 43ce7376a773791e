import { WebSocket, type RawData } from "ws";
import type { Db } from "../../shared/platform/db.ts";
import type { Logger } from "../../shared/platform/logger.ts";
import { bindingId, bindingWants, parseBinding, type Binding } from "./binding.ts";
import { checkBindings } from "./binding-check.ts";
import type { CapturedChange } from "./change-event.ts";
import type { ChangeReader } from "./change-reader.ts";
import {
  decodeBinaryPushHeader,
  decodeFrame,
  encodeFrame,
  type PhoenixMessage,
  type PhoenixVersion,
} from "./phoenix-frame.ts";
import { RealtimeChannel } from "./realtime-channel.ts";
import type { RealtimeLimits } from "./realtime-limits.ts";
import {
  joinRefusal,
  refreshRefusal,
  type RealtimeClaims,
  type VerifyRealtimeToken,
} from "./realtime-token.ts";
import { isSubscriberRole } from "./subscriber-session.ts";
import type { TableCatalog } from "./table-catalog.ts";

/**
 * One client's WebSocket, speaking the Phoenix channel protocol as realtime_channel.ex does for
 * postgres_changes: heartbeats, joins with bindings, token refresh, leave. Presence and broadcast are
 * refused with an error reply; the channel itself stays joined. Frames are handled one at a time in
 * arrival order, so a leave never overtakes its join.
 */
export interface ConnectionContext {
  vsn: PhoenixVersion;
  /** The connection's apikey: the token of joins that send none. */
  apikey: string;
  db: Db;
  verify: VerifyRealtimeToken;
  catalog: TableCatalog;
  reader: ChangeReader;
  limits: RealtimeLimits;
  logger: Logger;
  isListening(): boolean;
}

export const PRESENCE_REFUSED =
  "PresenceNotSupported: the local Realtime serves postgres_changes only, presence is not available";
export const BROADCAST_REFUSED =
  "BroadcastNotSupported: the local Realtime serves postgres_changes only, broadcast is not available";
export const PRIVATE_REFUSED =
  "PrivateChannelsNotSupported: the local Realtime serves public channels only (config.private must be false)";

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

const echoOf = (raw: unknown): unknown => (isRecord(raw) ? { ...raw, id: bindingId(raw) } : raw);

export class RealtimeConnection {
  private readonly channels = new Map<string, RealtimeChannel>();
  private queue: Promise<void> = Promise.resolve();
  private pending = 0;
  private lastSeen = Date.now();
  private readonly idleCheck: ReturnType<typeof setInterval>;
  private closed = false;

  constructor(
    private readonly ws: WebSocket,
    private readonly ctx: ConnectionContext,
    private readonly onGone: (connection: RealtimeConnection) => void,
  ) {
    ws.on("message", (data, isBinary) => this.receive(data, isBinary));
    ws.on("close", () => this.dispose());
    ws.on("error", (error) => {
      this.ctx.logger.log("debug", "local realtime: socket error", { error: error.message });
      this.dispose();
    });
    this.idleCheck = setInterval(
      () => {
        if (Date.now() - this.lastSeen > this.ctx.limits.idleTimeoutMs) this.ws.close(1000, "idle");
      },
      Math.ceil(this.ctx.limits.idleTimeoutMs / 4),
    );
    this.idleCheck.unref?.();
  }

  get channelCount(): number {
    return this.channels.size;
  }

  /** One task per channel that wants the change: the fan-out decides how many run at once. */
  tasksFor(change: CapturedChange): (() => Promise<void>)[] {
    const tasks: (() => Promise<void>)[] = [];
    for (const channel of this.channels.values()) {
      if (!channel.live) continue;
      const wanted = channel.bindings.filter((b) => bindingWants(b, change));
      if (wanted.length === 0) continue;
      tasks.push(async () => {
        const messages = await this.ctx.reader.read(change, channel.claims, wanted);
        // The channel may have left, or been re-joined, while its row was read.
        if (this.channels.get(channel.topic) !== channel || !channel.live) return;
        for (const payload of messages)
          this.send({
            joinRef: channel.joinRef,
            ref: null,
            topic: channel.topic,
            event: "postgres_changes",
            payload: payload as unknown as Record<string, unknown>,
          });
      });
    }
    return tasks;
  }

  /** The change listener is (back) up: channels that went live meanwhile are told now. */
  listening(): void {
    for (const channel of this.channels.values()) if (channel.announcementPending) this.announce(channel);
  }

  close(code = 1001, reason = "server shutting down"): void {
    this.ws.close(code, reason);
  }

  private receive(data: RawData, isBinary: boolean): void {
    this.lastSeen = Date.now();
    const buffer = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
    if (isBinary) {
      // realtime-js sends broadcast pushes as binary frames: refuse them like the text ones.
      const header = decodeBinaryPushHeader(buffer);
      if (header !== null && header.ref !== "")
        this.reply({ joinRef: header.joinRef || null, ref: header.ref, topic: header.topic }, "error", {
          reason: BROADCAST_REFUSED,
        });
      return;
    }
    const message = decodeFrame(buffer.toString("utf8"), this.ctx.vsn);
    if (message === null) {
      // Phoenix's serializer crashes the transport on such a frame; the client reconnects.
      this.ctx.logger.log("warn", "local realtime: malformed frame, closing the connection", {
        bytes: buffer.length,
      });
      this.ws.close(1007, "malformed frame");
      return;
    }
    if (this.pending >= this.ctx.limits.maxPendingFrames) {
      this.ctx.logger.log("warn", "local realtime: client floods, closing the connection", {
        pending: this.pending,
      });
      this.ws.close(1008, "too many messages");
      return;
    }
    this.pending++;
    this.queue = this.queue
      .then(() => (this.closed ? undefined : this.handle(message)))
      .catch((error: unknown) => {
        this.ctx.logger.log("error", "local realtime: a message could not be handled", {
          event: message.event,
          error: error instanceof Error ? error.message : String(error),
        });
        this.reply(message, "error", { reason: "Unknown Error on Channel" });
      })
      .finally(() => {
        this.pending--;
      });
  }

  private async handle(message: PhoenixMessage): Promise<void> {
    const { topic, event } = message;
    if (topic === "phoenix") {
      if (event === "heartbeat") this.reply(message, "ok", {});
      else this.reply(message, "error", { reason: "unmatched topic" });
      return;
    }
    if (event === "phx_join") return this.join(message);
    const channel = this.channels.get(topic);
    if (channel === undefined) {
      this.reply(message, "error", { reason: "unmatched topic" });
      return;
    }
    switch (event) {
      case "phx_leave":
        this.reply(message, "ok", {});
        this.closeChannel(channel);
        return;
      case "access_token":
        return this.refresh(channel, message.payload.access_token);
      case "presence":
        if (message.ref !== null) this.reply(message, "error", { reason: PRESENCE_REFUSED });
        return;
      case "broadcast":
        if (message.ref !== null) this.reply(message, "error", { reason: BROADCAST_REFUSED });
        return;
      default:
        // The real server ignores events it does not know (handle_in/3's last clause).
        return;
    }
  }

  private async join(message: PhoenixMessage): Promise<void> {
    const { topic, payload } = message;
    const refuse = (reason: string) => this.reply(message, "error", { reason });
    if (!topic.startsWith("realtime:")) return refuse("unmatched topic");
    if (topic === "realtime:") return refuse("TopicNameRequired: You must provide a topic name");
    const previous = this.channels.get(topic);
    // A second join of a topic replaces the first, as Phoenix closes the old channel.
    if (previous !== undefined) this.closeChannel(previous);
    if (this.channels.size >= this.ctx.limits.maxChannelsPerConnection)
      return refuse("ChannelRateLimitReached: Too many channels");
    const config = isRecord(payload.config) ? payload.config : {};
    if (config.private === true) return refuse(PRIVATE_REFUSED);

    const given =
      typeof payload.access_token === "string"
        ? payload.access_token
        : typeof payload.user_token === "string"
          ? payload.user_token
          : null;
    // No token, or a new-format API key: the connection's apikey stands (protocols doc 0.9).
    const token = given === null || given.startsWith("sb_") ? this.ctx.apikey : given;
    let claims: RealtimeClaims;
    try {
      claims = await this.ctx.verify(token);
    } catch (error) {
      return refuse(joinRefusal(error));
    }
    if (!isSubscriberRole(claims.role))
      return refuse(
        `Unauthorized: the local Realtime reads as anon, authenticated or service_role, not ${claims.role}`,
      );

    const raw = Array.isArray(config.postgres_changes)
      ? config.postgres_changes.filter((b) => b !== null)
      : [];
    if (raw.length > this.ctx.limits.maxBindingsPerChannel)
      return refuse(
        `TooManyBindings: at most ${this.ctx.limits.maxBindingsPerChannel} postgres_changes per channel`,
      );
    const parsed = raw.map(parseBinding);
    const bindings = parsed.flatMap((p) => (p.ok ? [p.binding] : []));
    let error = parsed.find((p) => !p.ok)?.error ?? null;
    if (error === null && bindings.length > 0)
      error = await checkBindings(this.ctx.db, this.ctx.catalog, claims.role, bindings);
    if (this.closed) return;
    // With `wait`, the real server answers the join only once the subscription holds, or refuses it.
    const options = isRecord(config.postgres_changes_options) ? config.postgres_changes_options : {};
    if (error !== null && options.wait === true) return refuse(error);

    const channel = new RealtimeChannel(topic, message.joinRef, token, claims);
    this.channels.set(topic, channel);
    channel.watchExpiry(() => this.shutdown(channel, "Token has expired 0 seconds ago"));
    this.reply(message, "ok", { postgres_changes: raw.map(echoOf) });
    if (raw.length > 0) this.goLive(channel, bindings, error);
  }

  private goLive(channel: RealtimeChannel, bindings: Binding[], error: string | null): void {
    if (error !== null) {
      channel.live = false;
      this.system(channel, "postgres_changes", "error", error);
      return;
    }
    channel.bindings = bindings;
    channel.live = true;
    if (this.ctx.isListening()) this.announce(channel);
    else channel.announcementPending = true;
  }

  private announce(channel: RealtimeChannel): void {
    channel.announcementPending = false;
    this.system(channel, "postgres_changes", "ok", "Subscribed to PostgreSQL");
  }

  private async refresh(channel: RealtimeChannel, token: unknown): Promise<void> {
    // No reply in any case; ignored as the real server ignores them: nil, API keys, the same token.
    if (typeof token !== "string" || token.startsWith("sb_") || token === channel.token) return;
    let claims: RealtimeClaims;
    try {
      claims = await this.ctx.verify(token);
    } catch (error) {
      return this.shutdown(channel, refreshRefusal(error));
    }
    if (this.channels.get(channel.topic) !== channel) return;
    if (!isSubscriberRole(claims.role))
      return this.shutdown(
        channel,
        `the local Realtime reads as anon, authenticated or service_role, not ${claims.role}`,
      );
    channel.token = token;
    channel.claims = claims;
    channel.watchExpiry(() => this.shutdown(channel, "Token has expired 0 seconds ago"));
    if (channel.bindings.length === 0) return;
    // The new role may see other columns: the real server re-subscribes, and says so again.
    const error = await checkBindings(this.ctx.db, this.ctx.catalog, claims.role, channel.bindings);
    if (this.channels.get(channel.topic) === channel) this.goLive(channel, channel.bindings, error);
  }

  /** The real server's shutdown_response: a `system` error, then the channel closes. */
  private shutdown(channel: RealtimeChannel, message: string): void {
    if (this.channels.get(channel.topic) !== channel) return;
    this.system(channel, "system", "error", message);
    this.closeChannel(channel);
  }

  private closeChannel(channel: RealtimeChannel): void {
    channel.stopExpiryWatch();
    channel.live = false;
    this.channels.delete(channel.topic);
    this.send({
      joinRef: channel.joinRef,
      ref: channel.joinRef,
      topic: channel.topic,
      event: "phx_close",
      payload: {},
    });
  }

  private system(channel: RealtimeChannel, extension: string, status: "ok" | "error", message: string): void {
    this.send({
      joinRef: channel.joinRef,
      ref: null,
      topic: channel.topic,
      event: "system",
      payload: { extension, status, message, channel: channel.name },
    });
  }

  private reply(
    to: { joinRef: string | null; ref: string | null; topic: string },
    status: "ok" | "error",
    response: Record<string, unknown>,
  ): void {
    this.send({
      joinRef: to.joinRef,
      ref: to.ref,
      topic: to.topic,
      event: "phx_reply",
      payload: { status, response },
    });
  }

  private send(message: PhoenixMessage): void {
    if (this.ws.readyState !== WebSocket.OPEN) return;
    if (this.ws.bufferedAmount > this.ctx.limits.maxBufferedBytes) {
      this.ctx.logger.log("warn", "local realtime: client does not read, dropping the connection", {
        buffered: this.ws.bufferedAmount,
      });
      this.ws.terminate();
      return;
    }
    this.ws.send(encodeFrame(message, this.ctx.vsn));
  }

  private dispose(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.idleCheck);
    for (const channel of this.channels.values()) channel.stopExpiryWatch();
    this.channels.clear();
    this.onGone(this);
  }
}
