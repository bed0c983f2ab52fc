/**
 * The XML side of the SOAP face (docs/soap.md): reading a SOAP 1.1 envelope with saxes into plain elements, its
 * WS-Security header, the operation element as a plain object for JSON Schema validation, and writing answers and
 * Faults. No I/O.
 */
import { SaxesParser } from "saxes";
import type { ErrorCode } from "../../errors/codes";
import { HubError } from "../../errors/hub-error";

export const NS = {
  soap: "http://schemas.xmlsoap.org/soap/envelope/",
  soap12: "http://www.w3.org/2003/05/soap-envelope",
  wsse: "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd",
  wsu: "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd",
  xsi: "http://www.w3.org/2001/XMLSchema-instance",
  tns: "urn:dual-record:hub:v1",
} as const;

const TOKEN_PROFILE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0";
export const PASSWORD_TEXT = `${TOKEN_PROFILE}#PasswordText`;
export const PASSWORD_DIGEST = `${TOKEN_PROFILE}#PasswordDigest`;

/** SOAP 1.1 fault codes (the `soap:` prefix is added when written). */
export type FaultCode = "VersionMismatch" | "MustUnderstand" | "Client" | "Server";

/** A HubError whose Fault needs a code other than Client/Server by status. */
export class SoapProtocolError extends HubError {
  constructor(
    readonly faultCode: FaultCode,
    code: ErrorCode,
    message: string,
  ) {
    super(code, message);
    this.name = "SoapProtocolError";
  }
}

/** An element with its namespace, attributes (`{uri}local`, or `local` without a namespace) and content. */
export interface XmlElement {
  ns: string;
  local: string;
  attrs: Record<string, string>;
  /** In document order. */
  children: XmlElement[];
  /** The element's own text (CDATA included), as sent; what lies between its children too. */
  text: string;
}

const XMLNS_URI = "http://www.w3.org/2000/xmlns/";

/**
 * Parses well-formed XML (a DOCTYPE is refused: SOAP forbids it, and it is how entity attacks start) with saxes, a
 * strict, namespace-aware, conformant parser: only the five predefined entities and character references are
 * known, so nothing is ever expanded or fetched. It reads an envelope about six times faster than xml2js (whose
 * `sax` underneath is the slow part): on the hot path of every SOAP call (bench/README.md, bench:soap).
 */
export async function parseXml(text: string): Promise<XmlElement> {
  if (/<!DOCTYPE/i.test(text))
    throw new HubError("HUB_SOAP_MALFORMED", "a SOAP message must not contain a document type declaration");
  let root: XmlElement | null = null;
  const open: XmlElement[] = [];
  const parser = new SaxesParser({ xmlns: true });
  parser.on("opentag", (tag) => {
    const attrs: Record<string, string> = {};
    for (const a of Object.values(tag.attributes)) {
      if (a.uri === XMLNS_URI) continue;
      attrs[a.uri ? `{${a.uri}}${a.local}` : a.local] = a.value;
    }
    const element: XmlElement = { ns: tag.uri, local: tag.local, attrs, children: [], text: "" };
    if (open.length) open[open.length - 1].children.push(element);
    else root = element;
    open.push(element);
  });
  const addText = (chunk: string) => {
    if (open.length) open[open.length - 1].text += chunk;
  };
  parser.on("text", addText);
  parser.on("cdata", addText);
  parser.on("closetag", () => open.pop());
  try {
    parser.write(text).close();
  } catch (err) {
    const first = String((err as Error).message ?? err).split("\n")[0];
    throw new HubError("HUB_SOAP_MALFORMED", `not well-formed XML: ${first}`);
  }
  if (!root) throw new HubError("HUB_SOAP_MALFORMED", "the request body is empty");
  return root;
}

export interface Envelope {
  header: XmlElement | null;
  /** The one element of the Body: the operation (document/literal wrapped). */
  operation: XmlElement;
}

/** The Header and the operation element of a SOAP 1.1 envelope. */
export function readEnvelope(root: XmlElement): Envelope {
  if (root.ns === NS.soap12)
    throw new SoapProtocolError(
      "VersionMismatch",
      "HUB_SOAP_MALFORMED",
      "SOAP 1.2 is not served; send SOAP 1.1",
    );
  if (root.ns !== NS.soap || root.local !== "Envelope")
    throw new HubError(
      "HUB_SOAP_MALFORMED",
      `the document is {${root.ns}}${root.local}, not a SOAP 1.1 Envelope (${NS.soap})`,
    );
  const parts = root.children;
  const header = parts[0]?.ns === NS.soap && parts[0].local === "Header" ? parts[0] : null;
  const rest = header ? parts.slice(1) : parts;
  if (rest.length !== 1 || rest[0].ns !== NS.soap || rest[0].local !== "Body")
    throw new HubError("HUB_SOAP_MALFORMED", "the Envelope must hold an optional Header and then one Body");
  const body = rest[0];
  if (body.children.length !== 1)
    throw new HubError(
      "HUB_SOAP_MALFORMED",
      `the Body must hold exactly one element, the operation; it holds ${body.children.length}`,
    );
  return { header, operation: body.children[0] };
}

const TRUE = new Set(["1", "true"]);

/** SOAP 1.1: a header block marked mustUnderstand that is not understood (anything but wsse:Security) is a Fault. */
export function checkMustUnderstand(header: XmlElement | null): void {
  for (const block of header?.children ?? []) {
    if (block.ns === NS.wsse && block.local === "Security") continue;
    if (TRUE.has((block.attrs[`{${NS.soap}}mustUnderstand`] ?? "").trim()))
      throw new SoapProtocolError(
        "MustUnderstand",
        "HUB_SOAP_MALFORMED",
        `header block {${block.ns}}${block.local} is marked mustUnderstand and is not understood here`,
      );
  }
}

export interface UsernameToken {
  username: string;
  password: string;
  /** PasswordText, PasswordDigest, or whatever else the sender named. */
  passwordType: string;
}

const child = (el: XmlElement | undefined, ns: string, local: string) =>
  el?.children.find((c) => c.ns === ns && c.local === local);

/** Clock difference tolerated on wsu:Timestamp's Expires. */
const SKEW_MS = 5 * 60_000;

/**
 * The UsernameToken of the wsse:Security header, or null when there is none. A message whose wsu:Timestamp has
 * expired (beyond 5 minutes of clock difference) is refused.
 */
export function readUsernameToken(header: XmlElement | null, now: Date): UsernameToken | null {
  const security = child(header ?? undefined, NS.wsse, "Security");
  if (!security) return null;
  const expires = child(child(security, NS.wsu, "Timestamp"), NS.wsu, "Expires")?.text.trim();
  if (expires) {
    const at = Date.parse(expires);
    if (!Number.isFinite(at)) throw new HubError("HUB_AUTH_FAILED", `wsu:Expires is not a time: ${expires}`);
    if (at + SKEW_MS < now.getTime())
      throw new HubError("HUB_AUTH_FAILED", `the message expired at ${expires} (wsu:Timestamp)`);
  }
  const token = child(security, NS.wsse, "UsernameToken");
  if (!token) return null;
  const username = child(token, NS.wsse, "Username")?.text.trim() ?? "";
  const password = child(token, NS.wsse, "Password");
  if (!username || !password)
    throw new HubError("HUB_AUTH_FAILED", "the UsernameToken needs a Username and a Password");
  return { username, password: password.text, passwordType: password.attrs.Type ?? PASSWORD_TEXT };
}

/**
 * The operation's children as a plain object for its JSON Schema: an element in the hub's namespace is a property
 * named by its local name (one in another namespace keeps `{uri}` in its name, so that the schema refuses it); a
 * leaf is its trimmed text, an element with children an object, a repeated element an array; `xsi:nil="true"`
 * leaves the property out.
 */
export function toPlain(el: XmlElement): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const c of el.children) {
    if (TRUE.has((c.attrs[`{${NS.xsi}}nil`] ?? "").trim())) continue;
    const key = c.ns === NS.tns ? c.local : `{${c.ns}}${c.local}`;
    const value = c.children.length ? toPlain(c) : c.text.trim();
    if (!(key in out)) out[key] = value;
    else if (Array.isArray(out[key])) (out[key] as unknown[]).push(value);
    else out[key] = [out[key], value];
  }
  return out;
}

// -------------------------------------------------------------------------------------------------------------
// Writing

/** Text or a double-quoted attribute value. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"]/g, (c) =>
    c === "&" ? "&amp;" : c === "<" ? "&lt;" : c === ">" ? "&gt;" : "&quot;",
  );
}

/** `<tns:name>value</tns:name>`; nothing for null or undefined (an optional element left out). */
export function el(name: string, value: string | number | boolean | null | undefined): string {
  if (value === null || value === undefined) return "";
  return `<tns:${name}>${escapeXml(String(value))}</tns:${name}>`;
}

/** `<tns:name>…children…</tns:name>`. */
export function group(name: string, children: readonly string[]): string {
  return children.length ? `<tns:${name}>${children.join("")}</tns:${name}>` : `<tns:${name}/>`;
}

const XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>';

/**
 * A SOAP 1.1 envelope around one body element. The element declares the `tns` namespace itself, so that it stays a
 * document of its own when cut out (e.g. to validate it against the schema with xmllint).
 */
export function envelope(bodyElement: string): string {
  return `${XML_DECLARATION}<soap:Envelope xmlns:soap="${NS.soap}"><soap:Body>${bodyElement}</soap:Body></soap:Envelope>`;
}

/** `<tns:name xmlns:tns="…">…children…</tns:name>`: the outermost element of an answer or of a Fault's detail. */
export function rootGroup(name: string, children: readonly string[]): string {
  return `<tns:${name} xmlns:tns="${NS.tns}">${children.join("")}</tns:${name}>`;
}

export interface FaultDetail {
  code: string;
  message: string;
  retryable: boolean;
  problems?: ReadonlyArray<{ field: string; code: string; message: string }>;
  facts?: Record<string, unknown>;
}

function factText(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

/** A SOAP 1.1 Fault whose detail is a tns:HubFault (the WSDL's fault element). */
export function faultEnvelope(faultCode: FaultCode, faultString: string, detail: FaultDetail): string {
  const problems = detail.problems?.length
    ? group(
        "problems",
        detail.problems.map((p) =>
          group("problem", [el("field", p.field), el("code", p.code), el("message", p.message)]),
        ),
      )
    : "";
  const facts = Object.entries(detail.facts ?? {}).filter(([, v]) => v !== undefined && v !== null);
  const factsXml = facts.length
    ? group(
        "facts",
        facts.map(([name, v]) => `<tns:fact name="${escapeXml(name)}">${escapeXml(factText(v))}</tns:fact>`),
      )
    : "";
  return envelope(
    `<soap:Fault><faultcode>soap:${faultCode}</faultcode><faultstring>${escapeXml(faultString)}</faultstring>` +
      `<detail>${rootGroup("HubFault", [
        el("code", detail.code),
        el("message", detail.message),
        el("retryable", detail.retryable),
        problems,
        factsXml,
      ])}</detail></soap:Fault>`,
  );
}

/** The schema part of a WSDL whose xsd:schema declares its own namespaces: a document xmllint can use. */
export function schemaOf(wsdl: string): string {
  const match = /<xsd:schema[\s\S]*?<\/xsd:schema>/.exec(wsdl);
  if (!match) throw new Error("the WSDL has no inline xsd:schema");
  return `${XML_DECLARATION}\n${match[0]}\n`;
}
