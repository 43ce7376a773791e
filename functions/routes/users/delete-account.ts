import { createRoute, z } from "@hono/zod-openapi";
import { sql } from "kysely";
import { synthError, type ErrorCode } from "../../../shared/errors.ts";
import { BUCKETS, type BlobStore, type Bucket } from "../../../shared/platform/storage.ts";
import type { AppDeps, ApiApp } from "../../deps.ts";
import { envelopeOf, errorBody } from "../../envelope.ts";
import { asCaller, asService, ok, requireUser, takeRateLimit, type ApiContext } from "../../context.ts";
import { signedIn } from "../../middleware/signed-in.ts";
import { authErrors, rateLimitedError, validationErrors } from "../responses.ts";

/**
 * Account erasure (GDPR art. 17), in this order:
 *
 *   1. Storage objects under `<uid>/` in all four buckets, removed with the service role (scope
 *      `account-erasure`), the prefix taken from the verified token.
 *   2 + 3. The auth user, through Supabase Auth's admin API; every row of the user goes with it by the
 *      schema's foreign keys (`on delete cascade` to auth.users on every owned table; the two logs keep
 *      their lines with the user column set to null, the one change their append-only triggers allow for
 *      an erased account: 20261202000200_erasure.sql).
 *   4. One admin_action_logs line: the fact and the counts, nobody's id or email.
 *
 * Why objects first, with the service role: a registered dataset's object cannot be deleted by its owner
 * while the dataset row exists (20261202000400_storage_paths.sql), and the owner cannot delete that row
 * while a job on it is active (datasets_before_delete, 20261202000500); only erasing the owner lifts that
 * (the trigger lets the row go once the owner is gone). Deleting rows first as the user would therefore
 * make erasure impossible for anyone with a running job. Deleting the auth user first would end the
 * caller's access (is_active() is false for a missing user), so a failure after it could not be retried.
 * With objects first, every step before the last leaves an account that can call this again, and a
 * second call finishes the job (listing an emptied folder finds nothing). A job's runner may still
 * write an output between step 1 and step 3; a last service-role sweep after step 3 removes those.
 */
export const deleteAccountBodySchema = z
  .strictObject({
    confirm: z.literal("DELETE", { error: 'must be "DELETE": erasing an account cannot be undone' }),
  })
  .openapi("AccountDeletion", { example: { confirm: "DELETE" } });

const tableCounts = z.object({
  profiles: z.number().int(),
  datasets: z.number().int(),
  generation_requests: z.number().int(),
  optimization_runs: z.number().int(),
  optimization_trials: z.number().int(),
  notifications: z.number().int(),
  push_tokens: z.number().int(),
});
type TableCounts = z.infer<typeof tableCounts>;

const objectCounts = z.object({
  datasets: z.number().int(),
  synthetic: z.number().int(),
  models: z.number().int(),
  reports: z.number().int(),
});
type ObjectCounts = z.infer<typeof objectCounts>;

export const accountDeletionSchema = z
  .object({
    erased: z.literal(true),
    objects_removed: objectCounts.extend({ total: z.number().int() }),
    rows_removed: tableCounts.extend({ total: z.number().int() }),
    /** Log lines kept without the user (their user column set to null). */
    rows_anonymised: z.object({ api_request_logs: z.number().int(), admin_action_logs: z.number().int() }),
    logged: z.boolean(),
  })
  .openapi("AccountDeletionResult");

export const route = createRoute({
  method: "delete",
  path: "/users/account",
  tags: ["users"],
  summary: "Erase the caller's account: Storage objects, rows, the auth user (GDPR erasure)",
  description:
    'Needs the body {"confirm": "DELETE"}. Rate-limited per user (SYNTH_RATE_DELETIONS_PER_DAY). When a ' +
    "step fails the error's details say what was done and what remains; calling again finishes the job.",
  security: [{ bearer: [] }],
  middleware: [signedIn] as const,
  request: {
    body: { required: true, content: { "application/json": { schema: deleteAccountBodySchema } } },
  },
  responses: {
    200: {
      description: "The account and everything of it are gone",
      content: { "application/json": { schema: envelopeOf(accountDeletionSchema) } },
    },
    ...validationErrors,
    ...authErrors,
    ...rateLimitedError,
    502: {
      description:
        "Storage or Supabase Auth failed part-way (STORAGE_ERROR, AUTH_ADMIN_ERROR): details.done and " +
        "details.remaining say how far it got; call again to finish",
      content: { "application/json": { schema: z.unknown() } },
    },
  },
});

const SCOPE = "account-erasure";
/** Objects per list-and-remove round, and a bound on rounds so a store that never empties cannot spin. */
const ROUND = 1000;
const MAX_ROUNDS = 10_000;

/** Removes every object under `<uid>/` in one bucket; answers how many went. */
async function emptyFolder(store: BlobStore, bucket: Bucket, uid: string): Promise<number> {
  let removed = 0;
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const paths = (await store.list(bucket, uid, ROUND))
      .map((o) => o.path)
      .filter((p) => p.startsWith(`${uid}/`));
    if (paths.length === 0) return removed;
    const gone = await store.remove(bucket, paths);
    removed += gone.length;
    if (gone.length === 0) {
      throw synthError("STORAGE_ERROR", `Storage listed objects in ${bucket} that it would not remove`, {
        bucket,
        objects: paths.length,
      });
    }
  }
  throw synthError("STORAGE_ERROR", `${bucket} kept listing objects after ${MAX_ROUNDS} rounds`, { bucket });
}

async function emptyAllFolders(store: BlobStore, uid: string, into: ObjectCounts): Promise<void> {
  for (const bucket of BUCKETS) into[bucket] += await emptyFolder(store, bucket, uid);
}

const sum = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);

/**
 * The answer of an erasure that stopped part-way. Rendered here rather than thrown: the app's onError
 * hides the details of every 5xx, and these details (what was done, what remains) are the point.
 */
function partial(
  c: ApiContext,
  deps: AppDeps,
  code: ErrorCode,
  message: string,
  details: { done: Record<string, unknown>; remaining: string[]; retryable: boolean },
  cause: unknown,
) {
  c.get("log").log("error", "account erasure stopped part-way", {
    code,
    remaining: details.remaining,
    error: cause instanceof Error ? cause.message : String(cause),
  });
  c.header("x-synth-error-code", code);
  return c.json(errorBody(synthError(code, message, details), deps.clock.now()), 502) as never;
}

const AGAIN = "; nothing is lost: calling DELETE /users/account again finishes the job";

export function register(app: ApiApp, deps: AppDeps): void {
  app.openapi(route, async (c) => {
    const user = requireUser(c);
    c.req.valid("json");
    const uid = user.id;
    await takeRateLimit(deps, user, "account_deletions", deps.config.rateLimits.deletions);

    // What the cascade will remove, counted as the caller (also refusing a disabled account). The id
    // filters keep an admin's count to their own rows; admin_action_logs is only readable by admins, and
    // only an admin has lines in it.
    const { rows, anonymised } = await asCaller(deps, user, async (tx) => {
      const { rows: counted } = await sql<
        Record<keyof TableCounts | "api_request_logs" | "admin_action_logs", string>
      >`
        select (select count(*) from public.profiles where id = ${uid}) as profiles,
               (select count(*) from public.datasets where owner_id = ${uid}) as datasets,
               (select count(*) from public.generation_requests where owner_id = ${uid}) as generation_requests,
               (select count(*) from public.optimization_runs where owner_id = ${uid}) as optimization_runs,
               (select count(*) from public.optimization_trials where owner_id = ${uid}) as optimization_trials,
               (select count(*) from public.notifications where user_id = ${uid}) as notifications,
               (select count(*) from public.push_tokens where user_id = ${uid}) as push_tokens,
               (select count(*) from public.api_request_logs where user_id = ${uid}) as api_request_logs,
               (select count(*) from public.admin_action_logs where admin_id = ${uid}) as admin_action_logs`.execute(
        tx,
      );
      const n = (k: keyof (typeof counted)[number]) => Number(counted[0][k]);
      return {
        rows: {
          profiles: n("profiles"),
          datasets: n("datasets"),
          generation_requests: n("generation_requests"),
          optimization_runs: n("optimization_runs"),
          optimization_trials: n("optimization_trials"),
          notifications: n("notifications"),
          push_tokens: n("push_tokens"),
        } satisfies TableCounts,
        anonymised: { api_request_logs: n("api_request_logs"), admin_action_logs: n("admin_action_logs") },
      };
    });

    const objects: ObjectCounts = { datasets: 0, synthetic: 0, models: 0, reports: 0 };
    const store = deps.storage.asServiceRole(SCOPE);
    try {
      await emptyAllFolders(store, uid, objects);
    } catch (error) {
      return partial(
        c,
        deps,
        "STORAGE_ERROR",
        `removing your files failed part-way${AGAIN}`,
        {
          done: { objects_removed: objects },
          remaining: ["storage objects", "rows", "auth user"],
          retryable: true,
        },
        error,
      );
    }

    try {
      await deps.authAdmin.deleteUser(uid);
    } catch (error) {
      return partial(
        c,
        deps,
        "AUTH_ADMIN_ERROR",
        `your files are gone but deleting the account failed${AGAIN}`,
        { done: { objects_removed: objects }, remaining: ["rows", "auth user"], retryable: true },
        error,
      );
    }
    // The account no longer exists: nothing after this may name it. The request-log row of this request
    // would otherwise reference a deleted user (and fail its whole batch on the foreign key).
    c.set("user", null);
    const log = c.get("log");

    // A job that was running may have written an output after the first pass; its rows are gone now.
    let swept = true;
    try {
      await emptyAllFolders(store, uid, objects);
    } catch (error) {
      swept = false;
      // Only the code: a Storage message may name an object, and so the erased account's folder.
      log.log("error", "account erasure: the final storage sweep failed", {
        code: error instanceof Error && "code" in error ? String(error.code) : "unknown",
      });
    }

    const details = {
      objects_removed: { ...objects, total: sum(objects) },
      rows_removed: { ...rows, total: sum(rows) },
      rows_anonymised: anonymised,
      ...(swept ? {} : { objects_left_behind: true }),
    };
    let logged = true;
    try {
      await asService(deps, SCOPE, (tx) =>
        tx
          .insertInto("admin_action_logs")
          .values({
            admin_id: null,
            action: "account_erased",
            target_table: "auth.users",
            target_id: null,
            reason: "erasure requested by the account holder",
            // The request id ties the line to this request's (anonymous) log row and to support tickets.
            details: sql`${JSON.stringify({ ...details, request_id: c.get("requestId") })}::text::jsonb`,
          })
          .execute(),
      );
    } catch (error) {
      logged = false;
      log.log("error", "account erasure: the audit line could not be written", {
        error: error instanceof Error ? error.message : String(error),
      });
    }
    log.log("info", "account erased", details);

    if (!swept) {
      // The caller can no longer retry (the account is gone): say so rather than claim success.
      c.header("x-synth-error-code", "STORAGE_ERROR");
      return c.json(
        errorBody(
          synthError(
            "STORAGE_ERROR",
            "your account and data are erased, but files a running job wrote during erasure could not " +
              "be removed yet; they are in a folder without an account, which an administrator's cleanup removes",
            {
              done: { ...details, auth_user: true, logged },
              remaining: ["storage objects"],
              retryable: false,
            },
          ),
          deps.clock.now(),
        ),
        502,
      ) as never;
    }
    return ok(
      c,
      deps,
      { erased: true as const, ...details, logged },
      "your account and its data are erased",
      200,
    );
  });
}
