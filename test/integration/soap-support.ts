/**
 * Helpers of the SOAP face's tests: hand-written envelopes, Faults read back, xmllint against the published schema,
 * and real recordings (tus upload, submit) for purchases to bind to.
 */
import { execFile } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { parseStringPromise } from "xml2js";
import { TusClient } from "../support/tus";

const run = promisify(execFile);

export const TNS = "urn:dual-record:hub:v1";
const SOAP = "http://schemas.xmlsoap.org/soap/envelope/";
const WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd";
const PROFILE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0";

export interface Credentials {
  username: string;
  password: string;
  type?: "PasswordText" | "PasswordDigest";
}

/** A SOAP 1.1 envelope as a legacy system would write it by hand, with a WS-Security UsernameToken (or none). */
export function soapEnvelope(body: string, auth: Credentials | null, extraHeader = ""): string {
  const security = auth
    ? `<wsse:Security xmlns:wsse="${WSSE}" soap:mustUnderstand="1"><wsse:UsernameToken>` +
      `<wsse:Username>${auth.username}</wsse:Username>` +
      `<wsse:Password Type="${PROFILE}#${auth.type ?? "PasswordText"}">${auth.password}</wsse:Password>` +
      `</wsse:UsernameToken></wsse:Security>`
    : "";
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n<soap:Envelope xmlns:soap="${SOAP}">\n` +
    `  <soap:Header>${security}${extraHeader}</soap:Header>\n  <soap:Body>\n    ${body}\n  </soap:Body>\n</soap:Envelope>\n`
  );
}

/** `<Name xmlns="urn:dual-record:hub:v1"><k>v</k>…</Name>` from an object (keys in the WSDL's order). */
export function operationXml(name: string, fields: Record<string, string | undefined>): string {
  const children = Object.entries(fields)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `<${k}>${v}</${k}>`)
    .join("");
  return `<${name} xmlns="${TNS}">${children}</${name}>`;
}

export interface SoapAnswer {
  status: number;
  text: string;
  contentType: string | null;
}

export async function postSoap(
  url: string,
  body: string | Buffer,
  headers: Record<string, string> = {},
): Promise<SoapAnswer> {
  const res = await fetch(`${url}/soap/dual-record`, {
    method: "POST",
    headers: { "content-type": "text/xml; charset=utf-8", soapaction: '""', ...headers },
    body,
  });
  return { status: res.status, text: await res.text(), contentType: res.headers.get("content-type") };
}

/** The response's body element as a plain object (prefixes stripped), or its Fault. */
export async function readAnswer(text: string): Promise<Record<string, any>> {
  const doc = await parseStringPromise(text, {
    explicitArray: false,
    tagNameProcessors: [(name: string) => name.replace(/^.*:/, "")],
    attrNameProcessors: [(name: string) => name.replace(/^.*:/, "")],
  });
  const body = doc.Envelope.Body;
  const [name] = Object.keys(body).filter((k) => k !== "$");
  return { [name]: body[name] };
}

export interface FaultSeen {
  faultcode: string;
  faultstring: string;
  code: string;
  retryable: string;
  problems: Array<{ field: string; code: string; message: string }>;
  facts: Record<string, string>;
}

export async function faultOf(answer: SoapAnswer): Promise<FaultSeen> {
  expect(answer.status).toBe(500);
  expect(answer.contentType).toMatch(/^text\/xml/);
  const { Fault } = await readAnswer(answer.text);
  expect(Fault).toBeDefined();
  const detail = Fault.detail.HubFault;
  const list = <T>(x: T | T[] | undefined): T[] => (x === undefined ? [] : Array.isArray(x) ? x : [x]);
  return {
    faultcode: Fault.faultcode,
    faultstring: Fault.faultstring,
    code: detail.code,
    retryable: detail.retryable,
    problems: list(detail.problems?.problem),
    facts: Object.fromEntries(list(detail.facts?.fact).map((f: any) => [f.$.name, f._ ?? ""])),
  };
}

/** xmllint over documents: the WSDL's well-formedness, and answers against the schema the hub publishes. */
export class Xmllint {
  private readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), "soap-xmllint-"));
  private schemaFile: string | null = null;
  private n = 0;

  private write(name: string, text: string): string {
    const file = path.join(this.dir, `${++this.n}-${name}`);
    fs.writeFileSync(file, text);
    return file;
  }

  async noout(name: string, text: string): Promise<void> {
    await run("xmllint", ["--noout", this.write(name, text)]);
  }

  useSchema(xsd: string): void {
    this.schemaFile = this.write("dual-record.xsd", xsd);
  }

  /** Validates the Body's element (or a Fault's tns:HubFault) against the schema; throws with xmllint's words. */
  async validateAnswer(text: string): Promise<void> {
    if (!this.schemaFile) throw new Error("useSchema first");
    const fault = /<tns:HubFault[\s\S]*<\/tns:HubFault>/.exec(text);
    const element = fault ? fault[0] : /<soap:Body>([\s\S]*)<\/soap:Body>/.exec(text)?.[1];
    if (!element) throw new Error(`no body element in ${text}`);
    const file = this.write("answer.xml", `<?xml version="1.0" encoding="UTF-8"?>\n${element}\n`);
    try {
      await run("xmllint", ["--noout", "--schema", this.schemaFile, file]);
    } catch (err) {
      throw new Error(`xmllint refused ${element}: ${(err as { stderr?: string }).stderr ?? err}`);
    }
  }

  cleanup(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Polls `probe` until it returns a value (not undefined) or `timeoutMs` passes. */
export async function eventually<T>(
  probe: () => Promise<T | undefined>,
  timeoutMs = 20_000,
  what = "condition",
): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > until)
      throw new Error(`${what} not reached within ${timeoutMs} ms${last ? `: ${last}` : ""}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/**
 * A recording made and submitted for real by `token`'s user (tus upload into both replicas), of `kind`; its day is
 * the hub's day of submission.
 */
export async function submitRecording(
  url: string,
  token: string,
  customerNo: string,
  productCode: string,
  kind: "sale" | "supplement" = "sale",
): Promise<string> {
  const auth = { authorization: `Bearer ${token}`, "content-type": "application/json" };
  const created = await fetch(`${url}/api/v1/recordings`, {
    method: "POST",
    headers: auth,
    body: JSON.stringify({ customerNo, productCode, kind }),
  });
  const createdBody = (await created.json()) as { id: string };
  if (created.status !== 201) throw new Error(`create: ${created.status} ${JSON.stringify(createdBody)}`);
  const id = createdBody.id;
  const bytes = crypto.randomBytes(40_000);
  const tus = new TusClient(url, token);
  const upload = await tus.create(id, bytes.length, "video/webm");
  if (upload.status !== 201) throw new Error(`tus create: ${upload.status} ${upload.text}`);
  const patched = await tus.patch(upload.uploadUrl!, 0, bytes);
  if (patched.status !== 204) throw new Error(`tus patch: ${patched.status} ${patched.text}`);
  const now = Date.now();
  const submitted = await fetch(`${url}/api/v1/recordings/${id}/submit`, {
    method: "POST",
    headers: auth,
    body: JSON.stringify({
      startedAt: new Date(now - 600_000).toISOString(),
      endedAt: new Date(now - 60_000).toISOString(),
      steps: [{ code: "consent", at: 0 }],
      watermark: { text: "浦东支行 sh.pd.sales1" },
    }),
  });
  if (submitted.status !== 200) throw new Error(`submit: ${submitted.status} ${await submitted.text()}`);
  return id;
}

export async function login(url: string, username: string, password: string): Promise<string> {
  const res = await fetch(`${url}/api/v1/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username, password }),
  });
  const body = (await res.json()) as { token?: string };
  if (res.status !== 200 || !body.token)
    throw new Error(`login ${username}: ${res.status} ${JSON.stringify(body)}`);
  return body.token;
}
