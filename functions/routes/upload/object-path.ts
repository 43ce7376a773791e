import { z } from "@hono/zod-openapi";

const utf8 = new TextEncoder();

/**
 * Why `name` cannot be a Storage object name, or null: the database's public.is_safe_object_path rule
 * (1 to 1024 bytes, segments of 1 to 255 bytes, no '.' or '..' segment, no backslash or control
 * character), checked at the boundary so the caller gets a 400 with the reason instead of a policy refusal.
 */
export function objectPathProblem(name: string): string | null {
  if (name.length === 0) return "the path is empty";
  if (utf8.encode(name).length > 1024) return "the path is longer than 1024 bytes";
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) return "the path contains a control character";
  if (name.includes("\\")) return "the path contains a backslash";
  for (const segment of name.split("/")) {
    if (segment === "") return "the path has an empty segment (a leading, trailing or double '/')";
    if (segment === "." || segment === "..") return "the path has a '.' or '..' segment";
    if (utf8.encode(segment).length > 255) return "a segment of the path is longer than 255 bytes";
  }
  if (!name.includes("/")) return "the path must be `<your user id>/<file>`";
  return null;
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
