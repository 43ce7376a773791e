import { createRoute } from "@hono/zod-openapi";
import { sql } from "kysely";
import type { Tx } from "../../../shared/platform/db.ts";
import type { AppDeps, ApiApp } from "../../deps.ts";
import { envelopeOf } from "../../envelope.ts";
import { asCaller, ok, requireUser } from "../../context.ts";
import { signedIn } from "../../middleware/signed-in.ts";
import { BUCKETS, type BlobStore, type ObjectInfo } from "../../../shared/platform/storage.ts";
import { authErrors } from "../responses.ts";
import {
  accountExportSchema,
  EXPORT_MAX_OBJECTS,
  EXPORT_MAX_ROWS,
  EXPORT_PAGE_ROWS,
  toJsonRow,
  type AccountExport,
  type Collection,
} from "./export-shape.ts";
import { toProfile } from "./profile-shape.ts";

export const route = createRoute({
  method: "get",
  path: "/users/export",
  tags: ["users"],
  summary: "Everything the platform holds about the caller, as one JSON document (GDPR portability)",
  description:
    "Served as an attachment (synth-export-<uid>.json) inside the usual envelope. Each collection holds at " +
    `most ${EXPORT_MAX_ROWS} rows and each bucket at most ${EXPORT_MAX_OBJECTS} objects; \`truncated\` says ` +
    "when a cap was hit. Storage objects come with signed URLs that expire after the configured time.",
  security: [{ bearer: [] }],
  middleware: [signedIn] as const,
  responses: {
    200: {
      description: "The export",
      headers: {
        "content-disposition": {
          schema: { type: "string", example: 'attachment; filename="synth-export-<uid>.json"' },
        },
      },
      content: { "application/json": { schema: envelopeOf(accountExportSchema) } },
    },
    ...authErrors,
  },
});

type Row = Record<string, unknown>;

/** Reads a collection page by page up to the cap; one row beyond it tells that the cap was hit. */
async function collect(page: (limit: number, offset: number) => Promise<Row[]>): Promise<Collection> {
  const items: Row[] = [];
  for (let offset = 0; items.length <= EXPORT_MAX_ROWS; offset += EXPORT_PAGE_ROWS) {
    const rows = await page(Math.min(EXPORT_PAGE_ROWS, EXPORT_MAX_ROWS + 1 - items.length), offset);
    items.push(...rows.map((r) => toJsonRow(r)));
    if (rows.length < EXPORT_PAGE_ROWS) break;
  }
  const truncated = items.length > EXPORT_MAX_ROWS;
  if (truncated) items.length = EXPORT_MAX_ROWS;
  return { items, count: items.length, truncated };
}

type OwnedTable =
  | "datasets"
  | "generation_requests"
  | "optimization_runs"
  | "optimization_trials"
  | "notifications"
  | "push_tokens"
  | "api_request_logs";

/** One page of a table's rows that belong to `uid`, in a stable order (pages never overlap). */
function ownRowsPage(
  tx: Tx,
  table: OwnedTable,
  owner: "owner_id" | "user_id",
  uid: string,
  limit: number,
  offset: number,
) {
  return tx
    .selectFrom(table)
    .selectAll()
    .where(sql.ref(owner), "=", uid)
    .orderBy(sql.ref("created_at"))
    .orderBy(sql.ref("id"))
    .limit(limit)
    .offset(offset)
    .execute() as Promise<Row[]>;
}

/** Runs `fn` over `items` with at most `width` calls in flight (Storage calls are HTTP requests). */
async function mapLimited<T, R>(items: T[], width: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
  return out;
}

async function exportObjects(
  store: BlobStore,
  uid: string,
  expiresIn: number,
): Promise<AccountExport["storage"]> {
  const listed: { bucket: (typeof BUCKETS)[number]; info: ObjectInfo }[] = [];
  let truncated = false;
  for (const bucket of BUCKETS) {
    const objects = await store.list(bucket, uid, EXPORT_MAX_OBJECTS + 1);
    // The prefix is the caller's folder; the check keeps an admin (who may read every folder) to their own.
    const own = objects.filter((o) => o.path.startsWith(`${uid}/`));
    if (own.length > EXPORT_MAX_OBJECTS) truncated = true;
    for (const info of own.slice(0, EXPORT_MAX_OBJECTS)) listed.push({ bucket, info });
  }
  const items = await mapLimited(listed, 8, async ({ bucket, info }) => ({
    bucket,
    path: info.path,
    size: info.size,
    content_type: info.contentType,
    updated_at: info.updatedAt,
    signed_url: await store.createSignedUrl(bucket, info.path, expiresIn, {
      download: info.path.slice(info.path.lastIndexOf("/") + 1),
    }),
  }));
  return { items, count: items.length, truncated };
}

export function register(app: ApiApp, deps: AppDeps): void {
  app.openapi(route, async (c) => {
    const user = requireUser(c);
    const uid = user.id;
    const generatedAt = deps.clock.now();
    const expiresIn = deps.config.signedUrlSeconds;

    // Every read filters by the caller's id as well as RLS: an admin's RLS shows other users' rows, and an
    // export must hold the caller's and nothing else. Ordered so pages do not overlap.
    const data = await asCaller(deps, user, async (tx) => {
      const profile = await tx.selectFrom("profiles").selectAll().where("id", "=", uid).executeTakeFirst();
      const rows = (table: OwnedTable, owner: "owner_id" | "user_id") =>
        collect((limit, offset) => ownRowsPage(tx, table, owner, uid, limit, offset));
      const datasets = await rows("datasets", "owner_id");
      const generationRequests = await rows("generation_requests", "owner_id");
      const optimizationRuns = await rows("optimization_runs", "owner_id");
      const optimizationTrials = await rows("optimization_trials", "owner_id");
      const notifications = await rows("notifications", "user_id");
      const pushTokens = await rows("push_tokens", "user_id");
      const apiRequestLogs = await rows("api_request_logs", "user_id");
      return {
        profile: profile ? toProfile(profile) : null,
        datasets,
        generation_requests: generationRequests,
        optimization_runs: optimizationRuns,
        optimization_trials: optimizationTrials,
        notifications,
        push_tokens: pushTokens,
        api_request_logs: apiRequestLogs,
      };
    });

    const storage = await exportObjects(deps.storage.forUser(c.get("accessToken")!), uid, expiresIn);

    const document: AccountExport = {
      format: "synth-account-export/1",
      generated_at: generatedAt.toISOString(),
      signed_urls_expire_at: new Date(generatedAt.getTime() + expiresIn * 1000).toISOString(),
      // The identity as Supabase Auth vouches for it in the verified token: auth.users itself is not
      // readable by the API's database roles (on Supabase only supabase_auth_admin reads it). The sign-up
      // time is the profile's, which the sign-up trigger creates in the same transaction as the user.
      user: {
        id: uid,
        email: user.email ?? null,
        phone: typeof user.claims.phone === "string" && user.claims.phone !== "" ? user.claims.phone : null,
        role: user.role,
        created_at: data.profile?.created_at ?? null,
        app_metadata: user.claims.app_metadata ?? {},
        user_metadata: user.claims.user_metadata ?? {},
      },
      ...data,
      storage,
    };
    c.header("content-disposition", `attachment; filename="synth-export-${uid}.json"`);
    return ok(c, deps, document, "everything the platform holds about you");
  });
}
