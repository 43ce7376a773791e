/**
 * LISTEN/NOTIFY as a port: the runner's wake-ups and the local Realtime's change capture listen on a
 * channel without knowing whether the database is a PostgreSQL server (a dedicated connection that comes
 * back by itself) or the embedded PGlite (its in-process listener).
 */
export interface Listener {
  /** False while the connection is down: notifications sent meanwhile are lost. */
  readonly listening: boolean;
  close(): Promise<void>;
}

export interface ListenHandlers {
  onNotify(payload: string): void;
  /**
   * Called on every (re)start of listening. Notifications sent while it was down are gone, so whoever
   * listens must look at the state it cares about again.
   */
  onListening(): void;
}

export type ListenFn = (channel: string, handlers: ListenHandlers) => Listener;
