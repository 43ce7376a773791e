import { STATUS_CODES, type IncomingMessage, type Server } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocketServer } from "ws";
import type { Db } from "../../shared/platform/db.ts";
import { createLogger, type Logger } from "../../shared/platform/logger.ts";
import type { ListenFn } from "../../shared/platform/notifications.ts";
import { REALTIME_NOTIFY_CHANNEL } from "../db/realtime-capture.ts";
import { ChangeFanout } from "./change-fanout.ts";
import { takeCapturedRow } from "./change-log.ts";
import { ChangeReader } from "./change-reader.ts";
import { PHOENIX_VERSIONS, type PhoenixVersion } from "./phoenix-frame.ts";
import { RealtimeConnection } from "./realtime-connection.ts";
import { realtimeLimitsSchema, type RealtimeLimitsInput } from "./realtime-limits.ts";
import { upgradeRefusal, type VerifyRealtimeToken } from "./realtime-token.ts";
import { TableCatalog } from "./table-catalog.ts";

/**
 * The local stand-in for Supabase Realtime's WebSocket (`/realtime/v1/websocket`), postgres_changes only,
 * sharing the HTTP server of the other local services: it takes the upgrade requests of its path. Changes
 * come from the capture triggers (installRealtimeCapture) through LISTEN, so it runs over whatever
 * database the LocalDatabase handle gives: only `db` and `listen` are used.
 */
export interface RealtimeServerOptions {
  db: Db;
  listen: ListenFn;
  /** Checks apikeys and access tokens: createRealtimeTokenVerifier(jwtSecret) for the local platform. */
  verify: VerifyRealtimeToken;
  logger?: Logger;
  /** Default `/realtime/v1/websocket`. */
  path?: string;
  limits?: RealtimeLimitsInput;
  /** The LISTEN channel; default the capture triggers' own. */
  notifyChannel?: string;
}

export interface RealtimeServer {
  /** Takes the upgrade if its path is the Realtime one (true), else leaves it to others (false). */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean;
  /** Listens to `server`'s upgrades; other paths get 404 unless another upgrade listener is there. */
  attach(server: Server): void;
  /** Resolves once the change listener listens: changes committed before that are not seen. */
  ready(): Promise<void>;
  readonly listening: boolean;
  readonly connectionCount: number;
  /** Resolves once every change received so far has been delivered. */
  idle(): Promise<void>;
  close(): Promise<void>;
}

export const REALTIME_PATH = "/realtime/v1/websocket";
const CLOSE_GRACE_MS = 2_000;

function refuseUpgrade(socket: Duplex, status: number, error: string): void {
  const body = JSON.stringify({ error });
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\ncontent-type: application/json\r\n` +
      `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}

export function createRealtimeServer(options: RealtimeServerOptions): RealtimeServer {
  const limits = realtimeLimitsSchema.parse(options.limits ?? {});
  const logger = options.logger ?? createLogger({ level: "warn" });
  const path = options.path ?? REALTIME_PATH;
  const catalog = new TableCatalog(options.db);
  const reader = new ChangeReader(options.db, catalog, logger);
  const connections = new Set<RealtimeConnection>();
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: limits.maxFrameBytes,
    perMessageDeflate: false,
  });
  const fanout = new ChangeFanout(() => connections, {
    maxQueued: limits.maxQueuedChanges,
    concurrency: limits.readConcurrency,
    logger,
    takeRow: (changeId) => takeCapturedRow(options.db, changeId),
  });
  let upgrading = 0;
  let closing = false;
  let markReady: () => void = () => {};
  const readyPromise = new Promise<void>((resolve) => {
    markReady = resolve;
  });

  const listener = options.listen(options.notifyChannel ?? REALTIME_NOTIFY_CHANNEL, {
    onNotify: (payload) => fanout.push(payload),
    onListening: () => {
      markReady();
      for (const connection of connections) connection.listening();
    },
  });

  const handleUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): boolean => {
    const url = new URL(req.url ?? "/", "http://localhost");
    if (url.pathname !== path) return false;
    socket.on("error", () => socket.destroy());
    if (closing) {
      refuseUpgrade(socket, 503, "Realtime is restarting, please standby");
      return true;
    }
    const header = req.headers["x-api-key"];
    const apikey = (Array.isArray(header) ? header[0] : header) ?? url.searchParams.get("apikey");
    if (apikey === null || apikey === undefined || apikey === "") {
      refuseUpgrade(socket, 401, "API key is missing");
      return true;
    }
    // Phoenix takes a missing vsn as 1.0.0; realtime-js 2.119 always sends 2.0.0.
    const vsn = url.searchParams.get("vsn") ?? "1.0.0";
    if (!(PHOENIX_VERSIONS as readonly string[]).includes(vsn)) {
      refuseUpgrade(socket, 400, `The client's requested transport version "${vsn}" cannot be found`);
      return true;
    }
    if (connections.size + upgrading >= limits.maxConnections) {
      refuseUpgrade(socket, 429, "Too many connected users");
      return true;
    }
    upgrading++;
    options.verify(apikey).then(
      () => {
        upgrading--;
        if (closing) return refuseUpgrade(socket, 503, "Realtime is restarting, please standby");
        wss.handleUpgrade(req, socket, head, (ws) => {
          const connection = new RealtimeConnection(
            ws,
            {
              vsn: vsn as PhoenixVersion,
              apikey,
              db: options.db,
              verify: options.verify,
              catalog,
              reader,
              limits,
              logger,
              isListening: () => listener.listening,
            },
            (gone) => connections.delete(gone),
          );
          connections.add(connection);
        });
      },
      (error: unknown) => {
        upgrading--;
        refuseUpgrade(socket, 401, upgradeRefusal(error));
      },
    );
    return true;
  };

  return {
    handleUpgrade,
    attach(server) {
      server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
        if (!handleUpgrade(req, socket, head) && server.listenerCount("upgrade") === 1)
          refuseUpgrade(socket, 404, "Not Found");
      });
    },
    ready: () => readyPromise,
    get listening() {
      return listener.listening;
    },
    get connectionCount() {
      return connections.size;
    },
    idle: () => fanout.idle(),
    async close() {
      closing = true;
      for (const connection of connections) connection.close();
      await listener.close();
      await fanout.idle();
      // wss.close waits for every client to close; one that never answers the close frame is cut off.
      const cutOff = setTimeout(() => {
        for (const ws of wss.clients) ws.terminate();
      }, CLOSE_GRACE_MS);
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      clearTimeout(cutOff);
    },
  };
}
