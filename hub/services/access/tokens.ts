import crypto from "node:crypto";
import { HubError } from "../../errors/hub-error";

/** What a bearer token carries. The session id lets the hub revoke a token before it expires. */
export interface TokenClaims {
  sub: string;
  sid: string;
  iat: number;
  exp: number;
}

const HEADER = base64url(JSON.stringify({ alg: "HS256", typ: "JWT" }));

function base64url(input: string | Buffer): string {
  return Buffer.from(input).toString("base64url");
}

function signature(secret: Buffer, data: string): string {
  return crypto.createHmac("sha256", secret).update(data).digest("base64url");
}

/** A compact HS256 JWT, so that standard tools can read (not forge) it. */
export function signToken(secret: Buffer, claims: TokenClaims): string {
  const body = `${HEADER}.${base64url(JSON.stringify(claims))}`;
  return `${body}.${signature(secret, body)}`;
}

/** Checks signature and expiry; a forged or mangled token is INVALID, an old one EXPIRED. */
export function verifyToken(secret: Buffer, token: string, nowSeconds: number): TokenClaims {
  const parts = token.split(".");
  if (parts.length !== 3 || parts[0] !== HEADER) throw new HubError("HUB_AUTH_TOKEN_INVALID");
  const expected = Buffer.from(signature(secret, `${parts[0]}.${parts[1]}`));
  const actual = Buffer.from(parts[2]);
  if (expected.length !== actual.length || !crypto.timingSafeEqual(expected, actual)) {
    throw new HubError("HUB_AUTH_TOKEN_INVALID");
  }
  let claims: TokenClaims;
  try {
    claims = JSON.parse(Buffer.from(parts[1], "base64url").toString("utf8"));
  } catch {
    throw new HubError("HUB_AUTH_TOKEN_INVALID");
  }
  if (typeof claims.sub !== "string" || typeof claims.sid !== "string" || typeof claims.exp !== "number") {
    throw new HubError("HUB_AUTH_TOKEN_INVALID");
  }
  if (claims.exp <= nowSeconds) throw new HubError("HUB_AUTH_TOKEN_EXPIRED");
  return claims;
}
