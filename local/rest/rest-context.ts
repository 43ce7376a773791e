import type { Db } from "../../shared/platform/db.ts";
import type { Media } from "./media.ts";
import type { Preferences } from "./preferences.ts";
import type { Identity } from "./request-role.ts";
import type { RequestQuery } from "./request-query.ts";
import type { SchemaCatalog } from "./schema-catalog.ts";

/** Everything a handler needs about one request, already parsed and checked. */
export interface RestRequest {
  db: Db;
  catalog: SchemaCatalog;
  identity: Identity;
  method: "GET" | "HEAD" | "POST" | "PATCH" | "DELETE";
  query: RequestQuery;
  prefs: Preferences;
  media: Media;
  rangeHeader?: string;
  /** Parsed JSON body for writes (undefined for reads). */
  body?: unknown;
  maxRows?: number;
  statementTimeoutMs: number;
}

export interface RestResponse {
  status: number;
  headers: Record<string, string>;
  /** null: no body at all (204, HEAD, return=minimal). */
  body: string | null;
}
