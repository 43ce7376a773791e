import { invalidBody, PgrstError } from "./pgrst-error.ts";

/**
 * Content negotiation as PostgREST does it for the media types supabase-js uses: JSON arrays, or one
 * object with `application/vnd.pgrst.object+json`. CSV, GeoJSON and the rest are refused with PGRST107.
 * Only schema `public` is exposed, so a profile header naming any other is PGRST106.
 */
export type Media = "json" | "object";

export const CONTENT_TYPES: Record<Media, string> = {
  json: "application/json; charset=utf-8",
  object: "application/vnd.pgrst.object+json; charset=utf-8",
};

export function negotiate(accept: string | undefined): Media {
  if (accept === undefined || accept.trim() === "") return "json";
  const types = accept.split(",").map((t) => t.split(";")[0].trim().toLowerCase());
  for (const type of types) {
    if (type === "application/vnd.pgrst.object+json" || type === "application/vnd.pgrst.object")
      return "object";
    if (type === "application/json" || type === "*/*" || type === "application/*") return "json";
  }
  throw new PgrstError(406, "PGRST107", `None of these media types are available: ${types.join(", ")}`);
}

export function checkProfile(header: string | undefined): boolean {
  if (header === undefined) return false;
  if (header !== "public")
    throw new PgrstError(
      406,
      "PGRST106",
      `Invalid schema: ${header}`,
      null,
      "Only the following schemas are exposed: public",
    );
  return true;
}

/** A JSON request body; PostgREST takes a missing Content-Type for JSON. */
export function parseJsonBody(contentType: string | undefined, text: string): unknown {
  const type = (contentType ?? "application/json").split(";")[0].trim().toLowerCase();
  if (type !== "application/json") throw invalidBody(`Content-Type not acceptable: ${type}`);
  try {
    return JSON.parse(text);
  } catch {
    throw invalidBody("Empty or invalid json");
  }
}
