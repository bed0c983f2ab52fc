import http from "node:http";
import type { AddressInfo } from "node:net";
import iconv from "iconv-lite";
import { Builder, parseStringPromise } from "xml2js";
import { memorySchema } from "../bank-data";
import { Delays, type Behaviour, type Simulator } from "../behaviour";
import { SoapSimulator } from "../soap-simulator";
import { compact, failure, isoDay, OK, present, wsdlOf } from "./support";

type Db = ReturnType<typeof memorySchema>;

function risks(db: Db, since: string): Record<string, unknown>[] {
  return (
    db.prepare("SELECT * FROM T_RISK WHERE MODIFY_DATE >= ? ORDER BY RISK_CODE").all(since) as Record<
      string,
      unknown
    >[]
  ).map((r) =>
    present({
      RiskCode: r.RISK_CODE,
      RiskName: r.RISK_NAME,
      RiskGrade: r.RISK_GRADE,
      Insurer: r.INSURER,
      InsuMonths: r.INSU_MONTHS,
      StartDate: compact(r.START_DATE),
      EndDate: compact(r.END_DATE),
      State: r.STATE,
      ModifyDate: compact(r.MODIFY_DATE),
    }),
  );
}

function policies(db: Db, customerNo: string, riskCode: string): Record<string, unknown>[] {
  return (
    db
      .prepare("SELECT * FROM T_POLICY WHERE CUST_NO = ? AND RISK_CODE = ? ORDER BY SIGN_DATE")
      .all(customerNo, riskCode) as Record<string, unknown>[]
  ).map((p) =>
    present({
      ContNo: p.CONT_NO,
      SignDate: compact(p.SIGN_DATE),
      ContEnd: compact(p.CONT_END),
      ContState: p.CONT_STATE,
      StateDate: compact(p.STATE_DATE),
    }),
  );
}

/** The 银保通 gateway's SOAP face: QueryRiskList and QueryPolicy over the BANCA schema. */
export function bancassuranceSoapSimulator(options: { port?: number } = {}): SoapSimulator {
  const db = memorySchema("BANCA");
  return new SoapSimulator({
    name: "bancassurance",
    wsdlFile: wsdlOf("bancassurance"),
    path: "/services/banca",
    ...options,
    handlers: {
      QueryRiskList(args) {
        const since = isoDay(args.ModifiedSince);
        if (!since) return failure("BX0001", "日期格式错误，应为yyyyMMdd");
        return { ...OK, Risk: risks(db, since) };
      },
      QueryPolicy(args) {
        return { ...OK, Policy: policies(db, String(args.CustNo ?? ""), String(args.RiskCode ?? "")) };
      },
    },
  });
}

/**
 * A 银保通 front end: one XML document POSTed per transaction (`TranData` with `Head`/`Body`), answered in the
 * request's character set (GBK or UTF-8). `Head.Flag` 0 is success; 1 is failure with `Head.Desc`.
 */
export class BancassuranceXmlSimulator implements Simulator {
  readonly name = "bancassurance-xml";
  readonly received: string[] = [];
  #server: http.Server | null = null;
  #port = 0;
  #behaviour: Behaviour = { mode: "up" };
  readonly #db = memorySchema("BANCA");
  readonly #delays = new Delays();

  constructor(private readonly options: { port?: number; maxBodyBytes?: number } = {}) {}

  get url(): string {
    return `http://127.0.0.1:${this.#port}/ybt/gateway`;
  }

  async start(): Promise<this> {
    const server = http.createServer((req, res) => void this.#handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.options.port ?? 0, "127.0.0.1", () => resolve());
    });
    this.#port = (server.address() as AddressInfo).port;
    this.#server = server;
    return this;
  }

  async #handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    if (req.method !== "POST") {
      res.writeHead(405, { Allow: "POST" }).end();
      return;
    }
    const limit = this.options.maxBodyBytes ?? 1024 * 1024;
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > limit) {
        res.writeHead(413, { Connection: "close" }).end();
        req.destroy();
        return;
      }
      chunks.push(chunk as Buffer);
    }
    const body = Buffer.concat(chunks);
    const charset = /charset\s*=\s*"?([\w-]+)/i.exec(req.headers["content-type"] ?? "")?.[1] ?? "GBK";
    const encoding = iconv.encodingExists(charset) ? charset : "GBK";
    let head: Record<string, string> = {};
    let answer: Record<string, unknown>;
    try {
      const doc = (await parseStringPromise(iconv.decode(body, encoding), {
        explicitArray: false,
        trim: true,
      })) as {
        TranData?: { Head?: Record<string, string>; Body?: Record<string, string> };
      };
      head = doc.TranData?.Head ?? {};
      this.received.push(head.TranCode ?? "?");
      const b = this.#behaviour;
      if (b.mode === "slow") await this.#delays.wait(b.delayMs);
      answer =
        b.mode === "fault"
          ? {
              Flag: "1",
              Desc: b.message ?? "保险公司系统日终处理中，请稍后再试",
              ErrCode: b.code ?? "YBT9001",
            }
          : this.#transaction(head.TranCode, doc.TranData?.Body ?? {});
    } catch {
      answer = { Flag: "1", Desc: "报文格式错误", ErrCode: "YBT0001" };
    }
    const { Body, ...status } = answer as { Body?: unknown } & Record<string, unknown>;
    const xml = new Builder({
      xmldec: { version: "1.0", encoding },
      renderOpts: { pretty: false },
    }).buildObject({
      TranData: {
        Head: { TranCode: head.TranCode ?? "", TranNo: head.TranNo ?? "", ...status },
        ...(Body ? { Body } : {}),
      },
    });
    res.writeHead(200, { "Content-Type": `text/xml; charset=${encoding}` }).end(iconv.encode(xml, encoding));
  }

  #transaction(code: string | undefined, body: Record<string, string>): Record<string, unknown> {
    const ok = { Flag: "0", Desc: "交易成功" };
    if (code === "PRD001") {
      const since = isoDay(body.ModifyDate);
      if (!since) return { Flag: "1", Desc: "修改日期格式错误", ErrCode: "YBT1001" };
      const list = risks(this.#db, since);
      return { ...ok, Body: { Count: list.length, Risks: { Risk: list } } };
    }
    if (code === "POL001") {
      const list = policies(this.#db, body.CustNo ?? "", body.RiskCode ?? "");
      return { ...ok, Body: { Count: list.length, Policies: { Policy: list } } };
    }
    return { Flag: "1", Desc: `不支持的交易码${code ?? ""}`, ErrCode: "YBT0002" };
  }

  async behave(behaviour: Behaviour): Promise<void> {
    const wasDown = this.#behaviour.mode === "down";
    this.#behaviour = behaviour;
    const server = this.#server!;
    if (behaviour.mode === "down" && !wasDown) {
      this.#delays.cancelAll();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    }
    if (behaviour.mode !== "down" && wasDown) {
      await new Promise<void>((resolve) => server.listen(this.#port, "127.0.0.1", () => resolve()));
    }
  }

  async stop(): Promise<void> {
    this.#delays.cancelAll();
    if (this.#behaviour.mode !== "down" && this.#server) {
      const server = this.#server;
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    }
    this.#server = null;
  }
}
