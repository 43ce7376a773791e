import type { MiddlewareHandler } from "hono";
import { secureHeaders } from "hono/secure-headers";

type SecureHeadersOptions = NonNullable<Parameters<typeof secureHeaders>[0]>;
import type { ApiEnv } from "../deps.ts";

/**
 * The seed's security headers, adapted to a JSON API: nothing may frame or sniff a response, no referrer
 * leaves, HTTPS is sticky, and responses carrying a user's data are never cached. The docs page is the
 * one HTML answer; its own route relaxes the CSP to its self-served assets.
 */
export const API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

const common = {
  strictTransportSecurity: "max-age=63072000; includeSubDomains",
  xFrameOptions: "DENY",
  referrerPolicy: "no-referrer",
  crossOriginResourcePolicy: "same-site",
  crossOriginOpenerPolicy: "same-origin",
  xPermittedCrossDomainPolicies: "none",
  permissionsPolicy: { camera: [], microphone: [], geolocation: [] },
} satisfies SecureHeadersOptions;

export function securityHeaders(): MiddlewareHandler<ApiEnv> {
  const api = secureHeaders({
    ...common,
    contentSecurityPolicy: {
      defaultSrc: ["'none'"],
      frameAncestors: ["'none'"],
      baseUri: ["'none'"],
      formAction: ["'none'"],
    },
  });
  // The docs page loads its own script, styles and data: icons, nothing from elsewhere (DOCS_CSP).
  const docs = secureHeaders({
    ...common,
    contentSecurityPolicy: {
      defaultSrc: ["'none'"],
      scriptSrc: ["'self'"],
      styleSrc: ["'self'", "'unsafe-inline'"],
      imgSrc: ["'self'", "data:"],
      connectSrc: ["'self'"],
      fontSrc: ["'self'"],
      baseUri: ["'none'"],
      formAction: ["'self'"],
      frameAncestors: ["'none'"],
    },
  });
  return async (c, next) => {
    await (/\/docs(\/[^/]*)?$/.test(c.req.path) ? docs : api)(c, next);
    if (!c.res.headers.has("cache-control")) c.header("Cache-Control", "no-store");
  };
}
