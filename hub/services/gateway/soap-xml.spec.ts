import { parseStringPromise } from "xml2js";
import {
  checkMustUnderstand,
  el,
  envelope,
  escapeXml,
  faultEnvelope,
  group,
  NS,
  parseXml,
  PASSWORD_DIGEST,
  PASSWORD_TEXT,
  readEnvelope,
  readUsernameToken,
  rootGroup,
  schemaOf,
  SoapProtocolError,
  toPlain,
} from "./soap-xml";

const SOAP = `xmlns:soap="${NS.soap}"`;
const WSSE = `xmlns:wsse="${NS.wsse}"`;
const WSU = `xmlns:wsu="${NS.wsu}"`;

async function refused(work: () => unknown): Promise<{ type: string; message: string; faultCode?: string }> {
  try {
    await work();
  } catch (err) {
    const e = err as { type: string; message: string; faultCode?: string };
    return { type: e.type, message: e.message, faultCode: e.faultCode };
  }
  throw new Error("not refused");
}

describe("parseXml", () => {
  it("reads elements with their namespaces, attributes and text", async () => {
    const root = await parseXml(
      `<a:root xmlns:a="urn:a" xmlns="urn:d" a:x="1" y="2"><child>  text </child><a:other/></a:root>`,
    );
    expect(root).toEqual({
      ns: "urn:a",
      local: "root",
      attrs: { "{urn:a}x": "1", y: "2" },
      text: "",
      children: [
        { ns: "urn:d", local: "child", attrs: {}, children: [], text: "  text " },
        { ns: "urn:a", local: "other", attrs: {}, children: [], text: "" },
      ],
    });
  });

  it("keeps children in document order, reads CDATA and references as text, skips comments", async () => {
    const root = await parseXml(
      `<?xml version="1.0"?><r><b/><a/><b/><p><![CDATA[<&x>]]>&amp;&#x4E2D;<!-- no --> y</p></r>`,
    );
    expect(root.children.map((c) => c.local)).toEqual(["b", "a", "b", "p"]);
    expect(root.children[3].text).toBe("<&x>&中 y");
  });

  it.each([
    ["an unclosed element", "<a><b></a>"],
    ["text only", "hello"],
    ["an unknown entity", "<a>&nope;</a>"],
    ["an unbound prefix", "<x:a/>"],
    ["two root elements", "<a/><b/>"],
    ["a control character", "<a>\u0001</a>"],
  ])("refuses %s as HUB_SOAP_MALFORMED", async (_name, text) => {
    expect((await refused(() => parseXml(text))).type).toBe("HUB_SOAP_MALFORMED");
  });

  it("refuses an empty document", async () => {
    expect(await refused(() => parseXml(""))).toMatchObject({ type: "HUB_SOAP_MALFORMED" });
  });

  it("refuses any DOCTYPE (no entity expansion, ever)", async () => {
    const bomb = `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]><a>&lol2;</a>`;
    expect(await refused(() => parseXml(bomb))).toMatchObject({
      type: "HUB_SOAP_MALFORMED",
      message: "a SOAP message must not contain a document type declaration",
    });
  });
});

describe("readEnvelope", () => {
  const parse = (text: string) => parseXml(text);

  it("finds the Header and the one operation element", async () => {
    const env = readEnvelope(
      await parse(`<soap:Envelope ${SOAP}><soap:Header><h xmlns="urn:h"/></soap:Header>
        <soap:Body><Op xmlns="${NS.tns}"><a>1</a></Op></soap:Body></soap:Envelope>`),
    );
    expect(env.header?.children[0].local).toBe("h");
    expect(env.operation).toMatchObject({ ns: NS.tns, local: "Op" });
  });

  it("takes an envelope without a Header", async () => {
    const env = readEnvelope(
      await parse(`<soap:Envelope ${SOAP}><soap:Body><Op/></soap:Body></soap:Envelope>`),
    );
    expect(env.header).toBeNull();
  });

  it("answers SOAP 1.2 with VersionMismatch", async () => {
    const root = await parse(`<e:Envelope xmlns:e="${NS.soap12}"><e:Body/></e:Envelope>`);
    const err = await refused(() => readEnvelope(root));
    expect(err).toMatchObject({ type: "HUB_SOAP_MALFORMED", faultCode: "VersionMismatch" });
  });

  it.each([
    ["another root", `<Envelope xmlns="urn:x"><Body/></Envelope>`, /not a SOAP 1.1 Envelope/],
    ["no Body", `<soap:Envelope ${SOAP}><soap:Header/></soap:Envelope>`, /one Body/],
    [
      "two Bodies",
      `<soap:Envelope ${SOAP}><soap:Body><a/></soap:Body><soap:Body/></soap:Envelope>`,
      /one Body/,
    ],
    ["an empty Body", `<soap:Envelope ${SOAP}><soap:Body/></soap:Envelope>`, /holds 0/],
    ["two operations", `<soap:Envelope ${SOAP}><soap:Body><a/><b/></soap:Body></soap:Envelope>`, /holds 2/],
  ])("refuses %s", async (_name, text, message) => {
    const err = await refused(async () => readEnvelope(await parse(text)));
    expect(err.type).toBe("HUB_SOAP_MALFORMED");
    expect(err.message).toMatch(message);
  });
});

describe("checkMustUnderstand", () => {
  const header = (blocks: string) => parseXml(`<soap:Header ${SOAP} ${WSSE}>${blocks}</soap:Header>`);

  it("accepts no header", () => expect(() => checkMustUnderstand(null)).not.toThrow());

  it.each([
    ["wsse:Security marked mustUnderstand", `<wsse:Security soap:mustUnderstand="1"/>`],
    ["another block not marked", `<x:T xmlns:x="urn:x"/>`],
    ["another block marked 0", `<x:T xmlns:x="urn:x" soap:mustUnderstand="0"/>`],
  ])("accepts %s", async (_name, blocks) => {
    const h = await header(blocks);
    expect(() => checkMustUnderstand(h)).not.toThrow();
  });

  it.each(["1", "true", " 1 "])("refuses another block marked mustUnderstand=%j", async (value) => {
    const h = await header(`<x:T xmlns:x="urn:x" soap:mustUnderstand="${value}"/>`);
    let caught: unknown;
    try {
      checkMustUnderstand(h);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(SoapProtocolError);
    expect((caught as SoapProtocolError).faultCode).toBe("MustUnderstand");
  });
});

describe("readUsernameToken", () => {
  const now = new Date("2026-11-23T02:00:00.000Z");
  const header = (security: string) =>
    parseXml(`<soap:Header ${SOAP} ${WSSE} ${WSU}>${security}</soap:Header>`);
  const token = (password: string, type?: string) =>
    `<wsse:UsernameToken><wsse:Username> sys.counter </wsse:Username>` +
    `<wsse:Password${type ? ` Type="${type}"` : ""}>${password}</wsse:Password></wsse:UsernameToken>`;

  it("is null without a header or a token", async () => {
    expect(readUsernameToken(null, now)).toBeNull();
    expect(readUsernameToken(await header(`<x xmlns="urn:x"/>`), now)).toBeNull();
    expect(readUsernameToken(await header(`<wsse:Security/>`), now)).toBeNull();
  });

  it("reads the username (trimmed) and the password (as sent) with its type", async () => {
    expect(
      readUsernameToken(await header(`<wsse:Security>${token(" p w ", PASSWORD_TEXT)}</wsse:Security>`), now),
    ).toEqual({
      username: "sys.counter",
      password: " p w ",
      passwordType: PASSWORD_TEXT,
    });
    expect(
      readUsernameToken(await header(`<wsse:Security>${token("x", PASSWORD_DIGEST)}</wsse:Security>`), now),
    ).toMatchObject({ passwordType: PASSWORD_DIGEST });
    // No Type attribute: PasswordText, as the profile says.
    expect(
      readUsernameToken(await header(`<wsse:Security>${token("x")}</wsse:Security>`), now),
    ).toMatchObject({
      passwordType: PASSWORD_TEXT,
    });
  });

  it("refuses a token without a password", async () => {
    const h = await header(
      `<wsse:Security><wsse:UsernameToken><wsse:Username>a</wsse:Username></wsse:UsernameToken></wsse:Security>`,
    );
    expect(await refused(() => readUsernameToken(h, now))).toMatchObject({ type: "HUB_AUTH_FAILED" });
  });

  const stamped = (expires: string) =>
    header(
      `<wsse:Security><wsu:Timestamp><wsu:Expires>${expires}</wsu:Expires></wsu:Timestamp>${token("x")}</wsse:Security>`,
    );

  it.each([
    ["in the future", "2026-11-23T02:10:00Z", true],
    ["just past, within 5 minutes of skew", "2026-11-23T01:56:00Z", true],
    ["past by more than 5 minutes", "2026-11-23T01:54:59Z", false],
  ])("a Timestamp expiring %s → accepted %s", async (_name, expires, accepted) => {
    const h = await stamped(expires);
    if (accepted) expect(readUsernameToken(h, now)).not.toBeNull();
    else expect(await refused(() => readUsernameToken(h, now))).toMatchObject({ type: "HUB_AUTH_FAILED" });
  });

  it("refuses an Expires that is not a time", async () => {
    expect(await refused(async () => readUsernameToken(await stamped("soon"), now))).toMatchObject({
      type: "HUB_AUTH_FAILED",
    });
  });
});

describe("toPlain", () => {
  it("maps the operation's children to properties, strictly by namespace", async () => {
    const op = await parseXml(
      `<Op xmlns="${NS.tns}" xmlns:xsi="${NS.xsi}" xmlns:o="urn:other">
         <a> 1 </a><b>x</b><b>y</b><c><d>z</d></c><e xsi:nil="true"/><o:f>evil</o:f><g/>
       </Op>`,
    );
    expect(toPlain(op)).toEqual({ a: "1", b: ["x", "y"], c: { d: "z" }, "{urn:other}f": "evil", g: "" });
  });
});

describe("writing", () => {
  it("escapes text and attribute values", () => {
    expect(escapeXml(`<a href="x">&'</a>`)).toBe("&lt;a href=&quot;x&quot;&gt;&amp;'&lt;/a&gt;");
  });

  it("leaves out an optional element without a value", () => {
    expect(el("a", null)).toBe("");
    expect(el("a", undefined)).toBe("");
    expect(el("a", 0)).toBe("<tns:a>0</tns:a>");
    expect(el("a", false)).toBe("<tns:a>false</tns:a>");
    expect(group("g", [])).toBe("<tns:g/>");
  });

  it("writes an answer whose body element declares its own namespace", async () => {
    const xml = envelope(rootGroup("OpResponse", [el("x", "中文 & <b>")]));
    const doc = await parseXml(xml);
    const { operation } = readEnvelope(doc);
    expect(operation).toMatchObject({ ns: NS.tns, local: "OpResponse" });
    expect(toPlain(operation)).toEqual({ x: "中文 & <b>" });
    expect(/<soap:Body>(.*)<\/soap:Body>/.exec(xml)![1]).toContain(`xmlns:tns="${NS.tns}"`);
  });

  it("writes a SOAP 1.1 Fault with the HubFault detail", async () => {
    const xml = faultEnvelope("Client", "请求数据校验未通过: x", {
      code: "HUB_VALIDATION_FAILED",
      message: "请求数据校验未通过: x",
      retryable: false,
      problems: [{ field: "Op.a", code: "required", message: "must have a" }],
      facts: { reason: "ROLE", nested: { a: 1 }, gone: null },
    });
    const doc = await parseStringPromise(xml, { explicitArray: false });
    const fault = doc["soap:Envelope"]["soap:Body"]["soap:Fault"];
    expect(fault.faultcode).toBe("soap:Client");
    expect(fault.faultstring).toBe("请求数据校验未通过: x");
    const detail = fault.detail["tns:HubFault"];
    expect(detail["tns:code"]).toBe("HUB_VALIDATION_FAILED");
    expect(detail["tns:retryable"]).toBe("false");
    expect(detail["tns:problems"]["tns:problem"]).toEqual({
      "tns:field": "Op.a",
      "tns:code": "required",
      "tns:message": "must have a",
    });
    expect(detail["tns:facts"]["tns:fact"]).toEqual([
      { _: "ROLE", $: { name: "reason" } },
      { _: '{"a":1}', $: { name: "nested" } },
    ]);
  });

  it("cuts the schema out of a WSDL", () => {
    const wsdl = `<w:definitions xmlns:w="urn:w"><w:types><xsd:schema xmlns:xsd="x"><a/></xsd:schema></w:types></w:definitions>`;
    expect(schemaOf(wsdl)).toBe(
      `<?xml version="1.0" encoding="UTF-8"?>\n<xsd:schema xmlns:xsd="x"><a/></xsd:schema>\n`,
    );
    expect(() => schemaOf("<w/>")).toThrow(/no inline xsd:schema/);
  });
});
