import { createRoute, z } from "@hono/zod-openapi";
import type { AppDeps, ApiApp } from "../../deps.ts";
import { envelopeOf } from "../../envelope.ts";
import { asCaller, ok, pageWindow, requireUser } from "../../context.ts";
import { pageOf, pageQuery } from "../paging.ts";
import { authErrors, validationErrors } from "../responses.ts";
import { generationRequestSchema, jobStatusSchema, toGenerationRequest } from "./request-shape.ts";

const querySchema = z.object({ ...pageQuery, status: jobStatusSchema.optional() });

const pageSchema = pageOf(generationRequestSchema).openapi("GenerationRequestPage");

export const route = createRoute({
  method: "get",
  path: "/generation/requests",
  tags: ["generation"],
  summary: "The caller's generation requests, newest first, optionally of one status",
  description: "Only the caller's own requests, admins included (GET /admin/requests lists everyone's).",
  security: [{ bearer: [] }],
  request: { query: querySchema },
  responses: {
    200: { description: "One page", content: { "application/json": { schema: envelopeOf(pageSchema) } } },
    ...validationErrors,
    ...authErrors,
  },
});

export function register(app: ApiApp, deps: AppDeps): void {
  app.openapi(route, async (c) => {
    const user = requireUser(c);
    const { page, page_size, status } = c.req.valid("query");
    const { limit, offset } = pageWindow(page, page_size);
    const { rows, total } = await asCaller(deps, user, async (tx) => {
      let base = tx.selectFrom("generation_requests").where("owner_id", "=", user.id);
      if (status !== undefined) base = base.where("status", "=", status);
      const [list, count] = await Promise.all([
        base
          .selectAll()
          .orderBy("created_at", "desc")
          .orderBy("id", "desc")
          .limit(limit)
          .offset(offset)
          .execute(),
        base.select((eb) => eb.fn.countAll<string>().as("n")).executeTakeFirstOrThrow(),
      ]);
      return { rows: list, total: Number(count.n) };
    });
    return ok(c, deps, { items: rows.map(toGenerationRequest), page, page_size, total });
  });
}
