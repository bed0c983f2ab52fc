import http from "node:http";
import { inspect } from "node:util";
import type { AddressInfo } from "node:net";
import iconv from "iconv-lite";
import { counterSimulator } from "../../../test/simulators/systems/counter";
import { BancassuranceXmlSimulator } from "../../../test/simulators/systems/bancassurance";
import { LegacyFaultError, LegacyTimeoutError, LegacyUnavailableError, PluginContractError } from "../errors";
import { SILENT_LOGGER } from "../logger";
import { resolveSettings } from "../settings";
import type { HttpXmlClient, SoapClient } from "./base";
import { httpXmlTransport } from "./http-xml.transport";
import { registered, resolve } from "./index";
import { soapError, soapTransport } from "./soap.transport";

const ctx = { plugin: "test", log: SILENT_LOGGER };

function soapClient(settings: Record<string, string | number>, env: Record<string, string> = {}): SoapClient {
  return soapTransport.create(resolveSettings("test", soapTransport.settings, settings, env), ctx);
}

function xmlClient(settings: Record<string, string | number>): HttpXmlClient {
  return httpXmlTransport.create(resolveSettings("test", httpXmlTransport.settings, settings, {}), ctx);
}

async function server(handler: http.RequestListener): Promise<{ url: string; close(): Promise<void> }> {
  const s = http.createServer(handler);
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", () => r()));
  return {
    url: `http://127.0.0.1:${(s.address() as AddressInfo).port}/`,
    close: () =>
      new Promise<void>((r) => {
        s.closeAllConnections();
        s.close(() => r());
      }),
  };
}

describe("transport registry", () => {
  it("holds one transport per name and names the registered ones when asked for another", () => {
    expect(registered().sort()).toEqual(["db2", "http-xml", "oracle", "soap", "sql"]);
    expect(resolve("soap")).toBe(soapTransport);
    let error: unknown;
    try {
      resolve("mq");
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(PluginContractError);
    expect(error).toMatchObject({ type: "HUB_PLUGIN_TRANSPORT" });
  });
});

describe("soap transport", () => {
  const credentials = { username: "DRHUB", password: "Ws-S3cret" };
  let sim: ReturnType<typeof counterSimulator>;
  beforeAll(async () => {
    sim = await counterSimulator({ credentials }).start();
  });
  afterAll(() => sim.stop());

  it("signs requests with a WS-Security UsernameToken (PasswordDigest) and gets the answer", async () => {
    const c = soapClient(
      { wsdlUrl: sim.wsdlUrl, username: credentials.username },
      { HUB_PLUGIN_TEST_PASSWORD: credentials.password },
    );
    const answer = await c.call("QuerySalesByDay", { TxnDate: "20260303" }, { timeoutMs: 5000 });
    expect(answer.RetCode).toBe("000000");
    expect((answer.Sale as unknown[]).length).toBe(2);
  });

  it("also with PasswordText", async () => {
    const c = soapClient(
      { wsdlUrl: sim.wsdlUrl, username: credentials.username, passwordType: "PasswordText" },
      { HUB_PLUGIN_TEST_PASSWORD: credentials.password },
    );
    await expect(c.call("QuerySalesByDay", { TxnDate: "20260303" })).resolves.toMatchObject({
      RetCode: "000000",
    });
  });

  it("turns the server's refusal of a wrong password into a LegacyFaultError with the fault code", async () => {
    const c = soapClient(
      { wsdlUrl: sim.wsdlUrl, username: credentials.username },
      { HUB_PLUGIN_TEST_PASSWORD: "wrong" },
    );
    const e = await c.call("QuerySalesByDay", { TxnDate: "20260303" }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(LegacyFaultError);
    expect((e as LegacyFaultError).faultCode).toMatch(/Client|Sender/);
  });

  it("names the operations the WSDL has when asked for one it has not", async () => {
    const c = soapClient({ wsdlUrl: sim.wsdlUrl });
    const e = (await c.call("QuerySales", {}).catch((x: unknown) => x)) as LegacyFaultError;
    expect(e).toBeInstanceOf(LegacyFaultError);
    expect(e.faultCode).toBe("WSDL_OPERATION_MISSING");
    expect(e.message).toMatch(/has no operation QuerySales; it has QuerySalesByDay/);
  });

  it("refuses an answer larger than maxResponseBytes", async () => {
    const c = soapClient(
      { wsdlUrl: sim.wsdlUrl, username: credentials.username, maxResponseBytes: 1024 },
      { HUB_PLUGIN_TEST_PASSWORD: credentials.password },
    );
    await expect(c.call("QuerySalesByDay", { TxnDate: "20260302" })).rejects.toBeInstanceOf(LegacyFaultError);
  });

  it("reports a WSDL nobody serves as unavailable, both on call and on ping", async () => {
    const c = soapClient({ wsdlUrl: "http://127.0.0.1:1/services/counter?wsdl", connectTimeoutMs: 2000 });
    await expect(c.call("QuerySalesByDay", {})).rejects.toBeInstanceOf(LegacyUnavailableError);
    await expect(c.ping()).rejects.toBeInstanceOf(LegacyUnavailableError);
    await expect(soapClient({ wsdlUrl: sim.wsdlUrl }).ping()).resolves.toBeUndefined();
  });

  it("maps node-soap's errors", () => {
    expect(
      soapError(Object.assign(new Error("timeout of 500ms exceeded"), { code: "ECONNABORTED" }), {}),
    ).toBeInstanceOf(LegacyTimeoutError);
    expect(
      soapError(Object.assign(new Error("canceled"), { code: "ERR_CANCELED", name: "CanceledError" }), {}),
    ).toBeInstanceOf(LegacyTimeoutError);
    expect(soapError(Object.assign(new Error("x"), { response: { status: 503 } }), {})).toBeInstanceOf(
      LegacyUnavailableError,
    );
    const http404 = soapError(
      Object.assign(new Error("x"), { response: { status: 404 } }),
      {},
    ) as LegacyFaultError;
    expect(http404.faultCode).toBe("HTTP_404");
  });
});

describe("http-xml transport (银保通)", () => {
  let sim: BancassuranceXmlSimulator;
  beforeAll(async () => {
    sim = await new BancassuranceXmlSimulator().start();
  });
  afterAll(() => sim.stop());

  const request = (code: string, body: Record<string, unknown>) => ({
    TranData: { Head: { TranCode: code, TranNo: "T1", BankCode: "0102" }, Body: body },
  });

  it.each(["GBK", "UTF-8"])("exchanges documents in %s with Chinese content", async (encoding) => {
    const c = xmlClient({ url: sim.url, encoding });
    const answer = await c.exchange(request("PRD001", { ModifyDate: "20260101" }));
    expect(answer.Head).toMatchObject({ Flag: "0", Desc: "交易成功", TranNo: "T1" });
    const risks = (answer.Body as { Risks: { Risk: { RiskName: string }[] } }).Risks.Risk;
    expect(risks.map((r) => r.RiskName)).toEqual(["金福年金保险（十年期）", "安康意外伤害保险（一年期）"]);
  });

  it("reads a GBK answer that declares its charset only in the XML declaration", async () => {
    const s = await server((_req, res) => {
      res.writeHead(200, { "Content-Type": "text/xml" });
      res.end(
        iconv.encode(
          '<?xml version="1.0" encoding="GBK"?><TranData><Head><Flag>0</Flag><Desc>交易成功</Desc></Head></TranData>',
          "GBK",
        ),
      );
    });
    try {
      const answer = await xmlClient({ url: s.url, encoding: "UTF-8" }).exchange(request("PRD001", {}));
      expect(answer.Head).toEqual({ Flag: "0", Desc: "交易成功" });
    } finally {
      await s.close();
    }
  });

  it.each<[string, http.RequestListener, new (...a: never[]) => Error, string | undefined]>([
    ["HTTP 503", (_q, r) => r.writeHead(503).end(), LegacyUnavailableError, undefined],
    ["HTTP 500", (_q, r) => r.writeHead(500).end(), LegacyFaultError, "HTTP_500"],
    [
      "malformed XML",
      (_q, r) => r.writeHead(200, { "Content-Type": "text/xml" }).end("<TranData><Head>"),
      LegacyFaultError,
      "XML_MALFORMED",
    ],
    [
      "an answer too large",
      (_q, r) => r.writeHead(200).end(`<a>${"x".repeat(4096)}</a>`),
      LegacyFaultError,
      "RESPONSE_TOO_LARGE",
    ],
  ])("maps %s", async (_what, handler, type, faultCode) => {
    const s = await server(handler);
    try {
      const e = await xmlClient({ url: s.url, maxResponseBytes: 1024 })
        .exchange(request("PRD001", {}))
        .catch((x: unknown) => x);
      expect(e).toBeInstanceOf(type);
      if (faultCode) expect((e as LegacyFaultError).faultCode).toBe(faultCode);
    } finally {
      await s.close();
    }
  });

  it("reports a closed port as unavailable and a slow answer as a timeout", async () => {
    await expect(
      xmlClient({ url: "http://127.0.0.1:1/ybt" }).exchange(request("PRD001", {})),
    ).rejects.toBeInstanceOf(LegacyUnavailableError);
    await sim.behave({ mode: "slow", delayMs: 2000 });
    try {
      await expect(
        xmlClient({ url: sim.url }).exchange(request("PRD001", {}), { timeoutMs: 200 }),
      ).rejects.toBeInstanceOf(LegacyTimeoutError);
    } finally {
      await sim.behave({ mode: "up" });
    }
  });
});

describe("secrets in transport clients", () => {
  it.each([
    ["soap", { wsdlUrl: "http://esb.bank/counter?wsdl", username: "DRHUB" }],
    ["sql", { url: "postgres://hub@pg.bank:5432/reports" }],
    ["oracle", { url: "oracle://hub@ora.bank:1521/FUNDPDB" }],
  ])("a %s client never shows its password when inspected or serialised", (name, settings) => {
    const factory = resolve(name);
    const client = factory.create(
      resolveSettings("test", factory.settings, settings, { HUB_PLUGIN_TEST_PASSWORD: "Pa55-in-memory" }),
      ctx,
    );
    expect(inspect(client, { depth: 10, showHidden: true }) + JSON.stringify(client)).not.toContain(
      "Pa55-in-memory",
    );
  });
});
