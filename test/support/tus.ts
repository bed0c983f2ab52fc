import crypto from "node:crypto";

/*
 * A minimal tus 1.0 client over fetch, for tests and benchmarks that must control every request (cut a body short,
 * send a wrong offset or checksum). The happy path is also tested with the real tus-js-client.
 */

export interface TusResponse {
  status: number;
  headers: Headers;
  text: string;
  body: any;
}

async function send(url: string, init: RequestInit): Promise<TusResponse> {
  const res = await fetch(url, init);
  const text = await res.text();
  let body: unknown = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = null;
  }
  return { status: res.status, headers: res.headers, text, body };
}

export function tusMetadata(fields: Record<string, string>): string {
  return Object.entries(fields)
    .map(([k, v]) => `${k} ${Buffer.from(v, "utf8").toString("base64")}`)
    .join(",");
}

export class TusClient {
  constructor(
    readonly baseUrl: string,
    private readonly token: string,
  ) {}

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    return { "Tus-Resumable": "1.0.0", Authorization: `Bearer ${this.token}`, ...extra };
  }

  /** POST /api/v1/uploads; `length` null defers it. Returns the response and the upload URL. */
  async create(
    recordingId: string,
    length: number | null,
    type = "video/webm",
  ): Promise<TusResponse & { uploadUrl: string | null }> {
    const headers = this.headers({ "Upload-Metadata": tusMetadata({ recordingId, filetype: type }) });
    if (length === null) headers["Upload-Defer-Length"] = "1";
    else headers["Upload-Length"] = String(length);
    const res = await send(`${this.baseUrl}/api/v1/uploads`, { method: "POST", headers });
    const location = res.headers.get("location");
    return { ...res, uploadUrl: location ? new URL(location, this.baseUrl).toString() : null };
  }

  async head(uploadUrl: string): Promise<TusResponse & { offset: number | null }> {
    const res = await send(uploadUrl, { method: "HEAD", headers: this.headers() });
    const offset = res.headers.get("upload-offset");
    return { ...res, offset: offset === null ? null : Number(offset) };
  }

  async patch(
    uploadUrl: string,
    offset: number,
    bytes: Buffer,
    options: { checksum?: string | false; length?: number; signal?: AbortSignal } = {},
  ): Promise<TusResponse & { offset: number | null }> {
    const headers = this.headers({
      "Upload-Offset": String(offset),
      "Content-Type": "application/offset+octet-stream",
    });
    if (options.checksum !== false) {
      headers["Upload-Checksum"] =
        options.checksum ?? `sha256 ${crypto.createHash("sha256").update(bytes).digest("base64")}`;
    }
    if (options.length !== undefined) headers["Upload-Length"] = String(options.length);
    const res = await send(uploadUrl, { method: "PATCH", headers, body: bytes, signal: options.signal });
    const next = res.headers.get("upload-offset");
    return { ...res, offset: next === null ? null : Number(next) };
  }

  async terminate(uploadUrl: string): Promise<TusResponse> {
    return send(uploadUrl, { method: "DELETE", headers: this.headers() });
  }
}
