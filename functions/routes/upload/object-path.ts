import { z } from "@hono/zod-openapi";
import { objectNameProblem } from "../../../shared/platform/storage.ts";

/** The object-name rule of public.is_safe_object_path, plus the folder a dataset must be in. */
export function objectPathProblem(name: string): string | null {
  const problem = objectNameProblem(name);
  if (problem !== null) return problem;
  return name.includes("/") ? null : "the path must be `<your user id>/<file>`";
}

export const objectPathSchema = z.string().superRefine((value, ctx) => {
  const problem = objectPathProblem(value);
  if (problem !== null) ctx.addIssue({ code: "custom", message: problem });
});

/**
 * A user's file name as one safe path segment: letters, digits, '.', '-' and '_' kept, anything else
 * (separators, spaces, control and non-ASCII characters) replaced, the extension kept so the format
 * can be read from it, and never '.' or '..'.
 */
export function sanitiseFileName(fileName: string): string {
  const base = fileName.slice(Math.max(fileName.lastIndexOf("/"), fileName.lastIndexOf("\\")) + 1);
  let safe = base
    .normalize("NFKD")
    .replace(/[^A-Za-z0-9._-]+/g, "_")
    .replace(/_+/g, "_")
    .replace(/^[._]+/, "");
  if (safe.length > 120) {
    const dot = safe.lastIndexOf(".");
    const ext = dot > 0 && safe.length - dot <= 10 ? safe.slice(dot) : "";
    safe = safe.slice(0, 120 - ext.length) + ext;
  }
  return safe.length === 0 || /^\.+$/.test(safe) ? "upload" : safe;
}
