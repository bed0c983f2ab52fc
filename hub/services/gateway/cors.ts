import type { IncomingMessage, ServerResponse } from "node:http";

/**
 * CORS for host pages served by other servers (a teller system's own web server embedding <dual-record>), for
 * exactly the origins in HUB_CORS_ORIGINS. A request from any other origin gets no CORS headers — the browser
 * then keeps the answer from the page — and same-origin requests are untouched, so the hub's own pages work
 * whatever the list says. Runs before every route, the tus endpoint included, and answers preflights itself.
 */
const METHODS = "GET, HEAD, POST, PATCH, DELETE, OPTIONS";
/** What such a page may send: JSON calls, the bearer token, the language, and the tus protocol's headers. */
const ALLOWED_HEADERS = [
  "Authorization",
  "Content-Type",
  "Accept-Language",
  "Tus-Resumable",
  "Upload-Length",
  "Upload-Defer-Length",
  "Upload-Offset",
  "Upload-Metadata",
  "Upload-Checksum",
].join(", ");
/** What it may read: where a new upload is, how far it got, and the request id to quote to support. */
const EXPOSED_HEADERS = [
  "Location",
  "Tus-Resumable",
  "Tus-Version",
  "Tus-Extension",
  "Tus-Max-Size",
  "Upload-Offset",
  "Upload-Length",
  "Upload-Defer-Length",
  "Upload-Metadata",
  "X-Request-ID",
].join(", ");

export function corsMiddleware(origins: readonly string[]) {
  return (req: IncomingMessage, res: ServerResponse, next: () => void): void => {
    const origin = req.headers.origin;
    if (!origin || !origins.includes(origin)) return next();
    res.setHeader("Access-Control-Allow-Origin", origin);
    res.setHeader("Vary", "Origin");
    res.setHeader("Access-Control-Expose-Headers", EXPOSED_HEADERS);
    if (req.method === "OPTIONS" && req.headers["access-control-request-method"]) {
      res.writeHead(204, {
        "Access-Control-Allow-Methods": METHODS,
        "Access-Control-Allow-Headers": ALLOWED_HEADERS,
        "Access-Control-Max-Age": "600",
        "Content-Length": "0",
      });
      res.end();
      return;
    }
    next();
  };
}
