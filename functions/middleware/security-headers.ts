import type { MiddlewareHandler } from "hono";
import { secureHeaders } from "hono/secure-headers";
import type { ApiEnv } from "../deps.ts";

/**
 * The seed's security headers, adapted to a JSON API: nothing may frame or sniff a response, no referrer
 * leaves, HTTPS is sticky, and responses carrying a user's data are never cached. The docs page is the
 * one HTML answer; its own route relaxes the CSP to its self-served assets.
 */
export const API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

export function securityHeaders(): MiddlewareHandler<ApiEnv> {
  const base = secureHeaders({
    contentSecurityPolicy: {
      defaultSrc: ["'none'"],
      frameAncestors: ["'none'"],
      baseUri: ["'none'"],
      formAction: ["'none'"],
    },
    strictTransportSecurity: "max-age=63072000; includeSubDomains",
    xFrameOptions: "DENY",
    referrerPolicy: "no-referrer",
    crossOriginResourcePolicy: "same-site",
    crossOriginOpenerPolicy: "same-origin",
    xPermittedCrossDomainPolicies: "none",
    permissionsPolicy: { camera: [], microphone: [], geolocation: [] },
  });
  return async (c, next) => {
    await base(c, next);
    if (!c.res.headers.has("cache-control")) c.header("Cache-Control", "no-store");
  };
}
