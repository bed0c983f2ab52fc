/**
 * The SOAP face through HTTP, on each topology (one process on SQLite, PostgreSQL, gateway + back end over NATS
 * with the JetStream channel): the published WSDL, a node-soap client generated from it and hand-written
 * envelopes, binding of purchases to recordings, idempotency, 补录, reconciliation (SOAP and REST), Faults and
 * who may call. Answers are checked against the published schema with xmllint.
 */
import { connect } from "nats";
import * as soap from "soap";
import {
  AuditEntryEntity,
  ProductEntity,
  RecordingEntity,
  SupplementApplicationEntity,
  TransactionBindingEntity,
  TransactionEntity,
  TransactionOutboxEntity,
} from "../../hub/db/entities";
import { businessDay } from "../../hub/domain/business-day";
import iconv from "iconv-lite";
import {
  DEMO_PASSWORD,
  startHarness,
  topologyAvailable,
  type Harness,
  type Topology,
} from "../support/hub-harness";
import {
  eventually,
  faultOf,
  operationXml,
  postSoap,
  readAnswer,
  soapEnvelope,
  submitRecording,
  Xmllint,
  type Credentials,
} from "./soap-support";

const COUNTER: Credentials = { username: "sys.counter", password: DEMO_PASSWORD };
const CUSTOMER = "C000000001";
const DAY = 86_400_000;

export function describeSoapSuite(topology: Topology): void {
  const describeIf = topologyAvailable(topology) ? describe : describe.skip;

  describeIf(`SOAP face (${topology})`, () => {
    let h: Harness;
    let client: soap.Client;
    const xmllint = new Xmllint();
    const tokens: Record<string, string> = {};
    const token = async (username: string) => (tokens[username] ??= await h.login(username));
    const now = () => h.clock.now();
    const today = () => businessDay(now());

    beforeAll(async () => {
      h = await startHarness(topology);
      const xsd = await fetch(`${h.url}/soap/dual-record?xsd`);
      expect(xsd.status).toBe(200);
      xmllint.useSchema(await xsd.text());
      client = await soap.createClientAsync(`${h.url}/soap/dual-record?wsdl`);
      client.setSecurity(
        new soap.WSSecurity(COUNTER.username, COUNTER.password, { passwordType: "PasswordText" }),
      );
    });
    afterAll(async () => {
      await h?.stop();
      xmllint.cleanup();
    });

    async function product(code: string, type = "WEALTH", recordingRequired: boolean | null = null) {
      const at = new Date().toISOString();
      await h.db.manager.getRepository(ProductEntity).save({
        code,
        name: `SOAP 测试产品 ${code}`,
        type,
        risk: "R1",
        issuer: null,
        inceptionDate: "2024-01-01",
        maturityDate: null,
        termMonths: null,
        recordingRequired,
        features: null,
        risks: null,
        customerRights: null,
        createdAt: at,
        updatedAt: at,
      });
    }

    const notice = (txnId: string, productCode: string, over: Record<string, string> = {}) => ({
      txnId,
      sourceSystem: "COUNTER",
      customerNo: CUSTOMER,
      productCode,
      amount: "50000.00",
      branchCode: "310100",
      tellerId: "T0001",
      tradeTime: now().toISOString(),
      status: "SUCCESS",
      ...over,
    });

    /** A hand-written NotifyTransaction, its answer checked against the schema. */
    async function notifyRaw(fields: Record<string, string>, auth: Credentials | null = COUNTER) {
      const answer = await postSoap(h.url, soapEnvelope(operationXml("NotifyTransaction", fields), auth));
      await xmllint.validateAnswer(answer.text);
      return answer;
    }

    async function call(
      operation: string,
      fields: Record<string, string | undefined>,
      auth: Credentials = COUNTER,
    ) {
      const answer = await postSoap(h.url, soapEnvelope(operationXml(operation, fields), auth));
      await xmllint.validateAnswer(answer.text);
      return answer;
    }

    async function status(productCode: string, tradeDate = today()) {
      const answer = await call("QueryRecordingStatus", { customerNo: CUSTOMER, productCode, tradeDate });
      expect(answer.status).toBe(200);
      const r = (await readAnswer(answer.text)).QueryRecordingStatusResponse;
      const list = (x: any) => (x === undefined || x === "" ? [] : Array.isArray(x) ? x : [x]);
      return {
        recordingStatus: r.recordingStatus as string,
        transactions: list(r.transactions?.transaction),
        recordings: list(r.recordings?.recording),
      };
    }

    async function reconciliation(branchCode: string, date: string, tellerId?: string) {
      const answer = await call("GetDailyReconciliation", { branchCode, date, tellerId });
      expect(answer.status).toBe(200);
      return (await readAnswer(answer.text)).GetDailyReconciliationResponse;
    }

    const record = async (productCode: string, kind: "sale" | "supplement" = "sale") =>
      submitRecording(h.url, await token("sh.pd.sales1"), CUSTOMER, productCode, kind);

    describe("the WSDL", () => {
      it("is served at ?wsdl with the address it was asked on, and xmllint accepts it", async () => {
        const res = await fetch(`${h.url}/soap/dual-record?wsdl`);
        expect(res.status).toBe(200);
        expect(res.headers.get("content-type")).toMatch(/^text\/xml/);
        const wsdl = await res.text();
        expect(wsdl).toContain('targetNamespace="urn:dual-record:hub:v1"');
        expect(wsdl).toContain(`location="${h.url}/soap/dual-record"`);
        await xmllint.noout("dual-record.wsdl", wsdl);
        expect(Object.keys(client.describe().DualRecordService.DualRecordPort).sort()).toEqual([
          "ApplySupplement",
          "GetDailyReconciliation",
          "NotifyTransaction",
          "QueryRecordingStatus",
        ]);
      });

      it("leaves other paths and methods to the gateway (JSON 404)", async () => {
        const other = await fetch(`${h.url}/soap/other?wsdl`);
        expect(other.status).toBe(404);
        expect(await other.json()).toMatchObject({ error: { code: "HUB_NOT_FOUND" } });
        expect((await fetch(`${h.url}/soap/dual-record`, { method: "PUT" })).status).toBe(404);
      });
    });

    describe("NotifyTransaction and binding", () => {
      it("works from a node-soap client generated from the WSDL and from a hand-written envelope", async () => {
        await product("SOAP0001");
        await product("SOAP0002");
        const recordingId = await record("SOAP0001");

        const [generated] = await client.NotifyTransactionAsync(notice("N-0001", "SOAP0001"));
        expect(generated).toMatchObject({ txnId: "N-0001", accepted: true, recordingStatus: "RECORDED" });
        expect(generated.recordingIds).toEqual({ recordingId: [recordingId] });
        await xmllint.validateAnswer(client.lastResponse as string);

        const raw = await notifyRaw(notice("N-0002", "SOAP0002"));
        expect(raw.status).toBe(200);
        expect(raw.contentType).toBe("text/xml; charset=utf-8");
        expect((await readAnswer(raw.text)).NotifyTransactionResponse).toMatchObject({
          txnId: "N-0002",
          accepted: "true",
          recordingStatus: "MISSING",
          recordingIds: "",
        });

        // Processed after the answer: the binding is written and the recording's purchase day is the trade day.
        const bound = await eventually(async () => {
          const s = await status("SOAP0001");
          return s.transactions[0]?.recordingStatus === "RECORDED" ? s : undefined;
        });
        expect(bound.recordingStatus).toBe("RECORDED");
        expect(bound.recordings).toEqual([
          expect.objectContaining({ recordingId, bound: "true", kind: "sale" }),
        ]);
        const binding = await h.db.manager
          .getRepository(TransactionBindingEntity)
          .findOneByOrFail({ txnId: "N-0001", recordingId });
        expect(binding.state).toBe("bound");
        const row = await h.db.manager.getRepository(RecordingEntity).findOneByOrFail({ id: recordingId });
        expect(row.purchaseDate).toBe(today());
        expect(await h.db.manager.getRepository(TransactionOutboxEntity).countBy({ txnId: "N-0001" })).toBe(
          0,
        );

        // Archived at idle time: both replicas re-verified.
        await eventually(
          async () => ((await status("SOAP0001")).recordings[0]?.archived === "true" ? true : undefined),
          30_000,
          "archive",
        );
      });

      it("binds a purchase notified before its recording once the recording is submitted", async () => {
        await product("SOAP0003");
        const [first] = await client.NotifyTransactionAsync(notice("N-0003", "SOAP0003"));
        expect(first.recordingStatus).toBe("MISSING");
        const recordingId = await record("SOAP0003");
        const later = await eventually(async () => {
          const s = await status("SOAP0003");
          return s.recordingStatus === "RECORDED" ? s : undefined;
        });
        expect(later.transactions).toEqual([
          expect.objectContaining({ txnId: "N-0003", recordingStatus: "RECORDED" }),
        ]);
        expect(later.recordings).toEqual([expect.objectContaining({ recordingId, bound: "true" })]);
      });

      it("answers a repeated txnId the same, counts it once, and refuses it with other content", async () => {
        await product("SOAP0004");
        const fields = notice("N-0004", "SOAP0004", { tellerId: "T-REPEAT" });
        const first = await notifyRaw(fields);
        const again = await notifyRaw(fields);
        expect(first.status).toBe(200);
        expect(again.text).toBe(first.text);
        const [viaClient] = await client.NotifyTransactionAsync(fields);
        expect(viaClient.recordingStatus).toBe("MISSING");

        const counts = await reconciliation("310100", today(), "T-REPEAT");
        expect(counts).toMatchObject({ salesCount: "1", missingCount: "1", recordedCount: "0" });
        expect(counts.message).toBe("今日有1笔产品购买行为未进行录音录像");

        const conflict = await faultOf(await notifyRaw({ ...fields, amount: "50001.00" }));
        expect(conflict).toMatchObject({ faultcode: "soap:Client", code: "HUB_TXN_CONFLICT" });
        expect(conflict.facts).toEqual({ txnId: "N-0004", reason: "CONTENT_DIFFERS" });
        expect((await reconciliation("310100", today(), "T-REPEAT")).salesCount).toBe("1");

        const trail = await h.api("GET", "/api/v1/audit?action=transaction.notify&target=txn:N-0004", {
          token: await token("hq.auditor"),
        });
        expect(
          trail.body.items.map((e: any) => [e.actor, e.role, e.result, e.details.outcome ?? e.details.error]),
        ).toEqual([
          ["sys.counter", "system", "failed", "HUB_TXN_CONFLICT"],
          ["sys.counter", "system", "ok", "repeat"],
          ["sys.counter", "system", "ok", "repeat"],
          ["sys.counter", "system", "ok", "new"],
        ]);
      });

      it("releases the binding of a reversed purchase, which no longer counts as a sale", async () => {
        await product("SOAP0005");
        const recordingId = await record("SOAP0005");
        const fields = notice("N-0005", "SOAP0005", { tellerId: "T-REVERSE" });
        const [sold] = await client.NotifyTransactionAsync(fields);
        expect(sold.recordingStatus).toBe("RECORDED");
        await eventually(async () =>
          (await status("SOAP0005")).recordingStatus === "RECORDED" ? true : undefined,
        );
        const [reversed] = await client.NotifyTransactionAsync({ ...fields, status: "REVERSED" });
        expect(reversed).toMatchObject({ accepted: true, recordingStatus: "NOT_REQUIRED" });
        await eventually(async () => {
          const b = await h.db.manager
            .getRepository(TransactionBindingEntity)
            .findOneByOrFail({ txnId: "N-0005", recordingId });
          return b.state === "released" ? b : undefined;
        });
        expect(await reconciliation("310100", today(), "T-REVERSE")).toMatchObject({
          salesCount: "0",
          reversedCount: "1",
          message: "",
        });
        // A repeat of the purchase after its reversal is answered as the first time; a new sale is not made of it.
        const [repeat] = await client.NotifyTransactionAsync(fields);
        expect(repeat.recordingStatus).toBe("RECORDED");
        expect((await reconciliation("310100", today(), "T-REVERSE")).salesCount).toBe("0");
      });

      it("answers NOT_REQUIRED where the product needs no recording at that outlet", async () => {
        await product("SOAP0006", "OTHER");
        await product("SOAP0007");
        const [other] = await client.NotifyTransactionAsync(
          notice("N-0006", "SOAP0006", { tellerId: "T-NR" }),
        );
        expect(other.recordingStatus).toBe("NOT_REQUIRED");
        const override = await h.api("POST", "/api/v1/products/SOAP0007/recording-overrides", {
          token: await token("sh.admin"),
          body: { orgCode: "310000", required: false },
        });
        expect(override.status).toBe(200);
        const [overridden] = await client.NotifyTransactionAsync(
          notice("N-0007", "SOAP0007", { tellerId: "T-NR" }),
        );
        expect(overridden.recordingStatus).toBe("NOT_REQUIRED");
        // Beijing has no such override.
        const [beijing] = await client.NotifyTransactionAsync(
          notice("N-0008", "SOAP0007", { branchCode: "110100", tellerId: "T-NR" }),
        );
        expect(beijing.recordingStatus).toBe("MISSING");
        expect(await reconciliation("310100", today(), "T-NR")).toMatchObject({
          salesCount: "2",
          notRequiredCount: "2",
          missingCount: "0",
        });
      });

      it("refuses unknown products and outlets with a Fault, storing nothing", async () => {
        const product = await faultOf(await notifyRaw(notice("N-0009", "NOSUCH")));
        expect(product.code).toBe("HUB_PRODUCT_NOT_FOUND");
        const outlet = await faultOf(await notifyRaw(notice("N-0009", "SOAP0001", { branchCode: "999999" })));
        expect(outlet.code).toBe("HUB_ORG_NOT_FOUND");
        const day = await faultOf(
          await notifyRaw(notice("N-0009", "SOAP0001", { tradeTime: "2026-02-30T10:00:00" })),
        );
        expect(day).toMatchObject({ code: "HUB_VALIDATION_FAILED" });
        expect(day.problems).toEqual([
          {
            field: "NotifyTransaction.tradeTime",
            code: "format",
            message: "must be an xsd:dateTime that exists",
          },
        ]);
        const query = await faultOf(
          await call("QueryRecordingStatus", {
            customerNo: CUSTOMER,
            productCode: "NOSUCH",
            tradeDate: today(),
          }),
        );
        expect(query.code).toBe("HUB_PRODUCT_NOT_FOUND");
        expect(await h.db.manager.getRepository(TransactionEntity).countBy({ txnId: "N-0009" })).toBe(0);
      });
    });

    describe("ApplySupplement (补录)", () => {
      it("gives 5 days from the trade day; a supplementary recording made in them binds", async () => {
        await product("SOAP0010");
        const tradeTime = new Date(now().getTime() - 2 * DAY).toISOString();
        const tradeDay = businessDay(new Date(tradeTime));
        const fields = notice("N-0010", "SOAP0010", { tradeTime, tellerId: "T-SUPP" });
        const [sold] = await client.NotifyTransactionAsync(fields);
        expect(sold.recordingStatus).toBe("MISSING");

        // A legacy system in GBK: the Chinese reason arrives intact.
        const gbk = iconv.encode(
          soapEnvelope(
            operationXml("ApplySupplement", {
              txnId: "N-0010",
              tellerId: "T-SUPP",
              reason: "应急销售，客户已签署纸质告知书",
            }),
            COUNTER,
          ).replace('encoding="UTF-8"', 'encoding="GBK"'),
          "gbk",
        );
        const applied = await postSoap(h.url, gbk, { "content-type": "text/xml; charset=GBK" });
        expect(applied.status).toBe(200);
        await xmllint.validateAnswer(applied.text);
        const answer = (await readAnswer(applied.text)).ApplySupplementResponse;
        const deadline = new Date(Date.parse(`${tradeDay}T00:00:00Z`) + 5 * DAY).toISOString().slice(0, 10);
        expect(answer).toMatchObject({ txnId: "N-0010", deadline, recordingStatus: "SUPPLEMENT_PENDING" });
        const stored = await h.db.manager
          .getRepository(SupplementApplicationEntity)
          .findOneByOrFail({ txnId: "N-0010" });
        expect(stored).toMatchObject({
          id: answer.applicationId,
          reason: "应急销售，客户已签署纸质告知书",
          deadline,
        });

        const [again] = await client.ApplySupplementAsync({
          txnId: "N-0010",
          tellerId: "T-SUPP",
          reason: "重复",
        });
        expect(again.applicationId).toBe(answer.applicationId);
        expect(await reconciliation("310100", tradeDay, "T-SUPP")).toMatchObject({
          salesCount: "1",
          missingCount: "1",
          supplementPendingCount: "1",
        });

        const recordingId = await record("SOAP0010", "supplement");
        const after = await eventually(async () => {
          const s = await status("SOAP0010", tradeDay);
          return s.recordingStatus === "RECORDED" ? s : undefined;
        });
        expect(after.recordings).toEqual([
          expect.objectContaining({ recordingId, kind: "supplement", bound: "true" }),
        ]);
        const row = await h.db.manager.getRepository(RecordingEntity).findOneByOrFail({ id: recordingId });
        expect(row.purchaseDate).toBe(tradeDay);
        expect(await reconciliation("310100", tradeDay, "T-SUPP")).toMatchObject({
          recordedCount: "1",
          missingCount: "0",
        });

        const recorded = await faultOf(
          await call("ApplySupplement", { txnId: "N-0001", tellerId: "T0001", reason: "不需要" }),
        );
        expect(recorded).toMatchObject({
          code: "HUB_SUPPLEMENT_NOT_APPLICABLE",
          facts: { reason: "RECORDED" },
        });
        const unknown = await faultOf(
          await call("ApplySupplement", { txnId: "NOPE", tellerId: "T0001", reason: "x" }),
        );
        expect(unknown.code).toBe("HUB_TXN_NOT_FOUND");
      });
    });

    describe("reconciliation", () => {
      it("counts per teller and outlet over SOAP and GET /api/v1/reconciliation, in the caller's scope", async () => {
        await product("SOAP0020");
        await record("SOAP0020");
        for (const [txnId, tellerId, productCode] of [
          ["R-0001", "T-REC-A", "SOAP0020"],
          ["R-0002", "T-REC-A", "SOAP0002"],
          ["R-0003", "T-REC-B", "SOAP0002"],
        ])
          await client.NotifyTransactionAsync(notice(txnId, productCode, { tellerId }));
        await eventually(async () =>
          (await reconciliation("310100", today(), "T-REC-A")).recordedCount === "1" ? true : undefined,
        );
        const outlet = await reconciliation("310100", today());
        const tellers = Array.isArray(outlet.tellers.teller)
          ? outlet.tellers.teller
          : [outlet.tellers.teller];
        expect(tellers.find((t: any) => t.tellerId === "T-REC-A")).toMatchObject({
          salesCount: "2",
          recordedCount: "1",
          missingCount: "1",
          message: "今日有1笔产品购买行为未进行录音录像",
        });
        expect(Number(outlet.salesCount)).toBe(
          Number(outlet.recordedCount) + Number(outlet.missingCount) + Number(outlet.notRequiredCount),
        );

        const rest = await h.api("GET", `/api/v1/reconciliation?date=${today()}`, {
          token: await token("sh.pd.manager"),
        });
        expect(rest.status).toBe(200);
        expect(rest.body).toMatchObject({
          orgCode: "310100",
          date: today(),
          salesCount: Number(outlet.salesCount),
        });
        expect(rest.body.outlets).toEqual([
          expect.objectContaining({
            branchCode: "310100",
            orgName: "浦东支行",
            missingCount: Number(outlet.missingCount),
          }),
        ]);
        const branch = await h.api("GET", `/api/v1/reconciliation?orgCode=310000&date=${today()}`, {
          token: await token("sh.admin"),
        });
        expect(branch.body.outlets.map((o: any) => o.branchCode)).toEqual(["310100"]);
        const hq = await h.api("GET", `/api/v1/reconciliation?orgCode=000000&date=${today()}`, {
          token: await token("hq.auditor"),
        });
        expect(hq.body.outlets.map((o: any) => o.branchCode)).toEqual(["110100", "310100"]);
        const outside = await h.api("GET", "/api/v1/reconciliation?orgCode=110100", {
          token: await token("sh.pd.manager"),
        });
        expect(outside.status).toBe(403);
        expect(outside.body.error).toMatchObject({ code: "HUB_FORBIDDEN", details: { reason: "SCOPE" } });
        const bad = await h.api("GET", "/api/v1/reconciliation?date=yesterday", {
          token: await token("sh.pd.sales1"),
        });
        expect(bad.status).toBe(422);
      });
    });

    describe("Faults, and the hub keeps serving", () => {
      it("answers malformed XML, a non-SOAP document, an unknown operation, a schema violation and more", async () => {
        const cases: Array<[string, string | Buffer, Record<string, string>, string, string]> = [
          ["malformed XML", "<soap:Envelope><unclosed>", {}, "soap:Client", "HUB_SOAP_MALFORMED"],
          ["an empty body", "", {}, "soap:Client", "HUB_SOAP_MALFORMED"],
          [
            "not an envelope",
            `<NotifyTransaction xmlns="urn:dual-record:hub:v1"/>`,
            {},
            "soap:Client",
            "HUB_SOAP_MALFORMED",
          ],
          [
            "a DOCTYPE (entity expansion)",
            `<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]>${soapEnvelope("<x/>", COUNTER).replace(/^<\?xml[^>]*>\n/, "")}`,
            {},
            "soap:Client",
            "HUB_SOAP_MALFORMED",
          ],
          [
            "SOAP 1.2",
            `<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope"><e:Body/></e:Envelope>`,
            { "content-type": "application/soap+xml; charset=utf-8" },
            "soap:VersionMismatch",
            "HUB_SOAP_MALFORMED",
          ],
          [
            "a header it must understand and does not",
            soapEnvelope(
              operationXml("GetDailyReconciliation", { branchCode: "310100", date: today() }),
              COUNTER,
              `<x:Tx xmlns:x="urn:other" xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" soap:mustUnderstand="1"/>`,
            ),
            {},
            "soap:MustUnderstand",
            "HUB_SOAP_MALFORMED",
          ],
          [
            "JSON",
            `{"txnId":"x"}`,
            { "content-type": "application/json" },
            "soap:Client",
            "HUB_UNSUPPORTED_MEDIA_TYPE",
          ],
          [
            "an unknown operation",
            soapEnvelope(`<CancelEverything xmlns="urn:dual-record:hub:v1"/>`, COUNTER),
            {},
            "soap:Client",
            "HUB_SOAP_UNKNOWN_OPERATION",
          ],
          [
            "an operation of another namespace",
            soapEnvelope(`<NotifyTransaction xmlns="urn:other"/>`, COUNTER),
            {},
            "soap:Client",
            "HUB_SOAP_UNKNOWN_OPERATION",
          ],
        ];
        for (const [name, body, headers, faultcode, code] of cases) {
          const answer = await postSoap(h.url, body, headers);
          const fault = await faultOf(answer);
          expect({ name, faultcode: fault.faultcode, code: fault.code }).toEqual({ name, faultcode, code });
          expect(answer.text).not.toMatch(/\n\s+at |node_modules|\.ts:\d+/);
          await xmllint.validateAnswer(answer.text);
        }
        expect((await reconciliation("310100", today())).branchCode).toBe("310100");
      });

      it("names every field at fault of a schema violation", async () => {
        const answer = await notifyRaw({
          ...notice("V-0001", "SOAP0001"),
          amount: "12.345",
          sourceSystem: "MAINFRAME",
          status: undefined as unknown as string,
          surprise: "1",
        });
        const fault = await faultOf(answer);
        expect(fault).toMatchObject({
          faultcode: "soap:Client",
          code: "HUB_VALIDATION_FAILED",
          retryable: "false",
        });
        expect(fault.problems.map((p) => [p.field, p.code]).sort()).toEqual([
          ["NotifyTransaction.amount", "pattern"],
          ["NotifyTransaction.sourceSystem", "enum"],
          ["NotifyTransaction.status", "required"],
          ["NotifyTransaction.surprise", "additionalProperties"],
        ]);
      });

      it("refuses a body over HUB_SOAP_BODY_LIMIT before parsing it, and then serves the next call", async () => {
        const big = soapEnvelope(
          operationXml("ApplySupplement", {
            txnId: "N-0001",
            tellerId: "T0001",
            reason: "x".repeat(1_200_000),
          }),
          COUNTER,
        );
        const fault = await faultOf(await postSoap(h.url, big));
        expect(fault).toMatchObject({ faultcode: "soap:Client", code: "HUB_BODY_TOO_LARGE" });
        expect(fault.facts).toEqual({ limit: String(1024 * 1024) });
        const [next] = await client.GetDailyReconciliationAsync({ branchCode: "310100", date: today() });
        expect(next.branchCode).toBe("310100");
      });
    });

    describe("who may call", () => {
      const reconcile = (auth: Credentials | null) =>
        call("GetDailyReconciliation", { branchCode: "310100", date: today() }, auth as Credentials);

      it("refuses other roles with HUB_FORBIDDEN (audited as denied), even head office", async () => {
        for (const username of ["sh.pd.sales1", "hq.admin"]) {
          const fault = await faultOf(await reconcile({ username, password: DEMO_PASSWORD }));
          expect(fault).toMatchObject({
            faultcode: "soap:Client",
            code: "HUB_FORBIDDEN",
            facts: { reason: "ROLE" },
          });
        }
        const trail = await h.api("GET", "/api/v1/audit?action=reconciliation.read&actor=hq.admin", {
          token: await token("hq.auditor"),
        });
        expect(trail.body.items[0]).toMatchObject({
          role: "hq_admin",
          result: "denied",
          target: "org:310100",
        });
        const core = await reconcile({ username: "sys.core", password: DEMO_PASSWORD });
        expect(core.status).toBe(200);
      });

      it("refuses missing and wrong credentials and PasswordDigest with HUB_AUTH_FAILED", async () => {
        expect((await faultOf(await reconcile(null))).code).toBe("HUB_AUTH_FAILED");
        expect(
          (await faultOf(await reconcile({ username: "sys.core", password: "Wrong-Pass-1" }))).code,
        ).toBe("HUB_AUTH_FAILED");
        expect((await faultOf(await reconcile({ username: "no.such", password: "Wrong-Pass-1" }))).code).toBe(
          "HUB_AUTH_FAILED",
        );
        const digest = await faultOf(await reconcile({ ...COUNTER, type: "PasswordDigest" }));
        expect(digest).toMatchObject({ code: "HUB_AUTH_FAILED" });
        expect(digest.faultstring).toMatch(/PasswordText/);
        expect((await reconcile({ username: "sys.core", password: DEMO_PASSWORD })).status).toBe(200);
      });

      it("locks a system user like a REST login after 5 wrong passwords", async () => {
        const created = await h.api("POST", "/api/v1/users", {
          token: await token("hq.admin"),
          body: {
            username: "sys.fund",
            displayName: "基金系统",
            role: "system",
            orgCode: "000000",
            password: "Fund-Pass-2026!",
          },
        });
        expect(created.status).toBe(201);
        for (let i = 1; i <= 4; i++)
          expect(
            (await faultOf(await reconcile({ username: "sys.fund", password: `Wrong-Pass-${i}` }))).code,
          ).toBe("HUB_AUTH_FAILED");
        const fifth = await faultOf(await reconcile({ username: "sys.fund", password: "Wrong-Pass-5" }));
        expect(fifth.code).toBe("HUB_AUTH_LOCKED");
        expect(fifth.facts.lockedUntil).toMatch(/^\d{4}-/);
        expect(
          (await faultOf(await reconcile({ username: "sys.fund", password: "Fund-Pass-2026!" }))).code,
        ).toBe("HUB_AUTH_LOCKED");
        const rest = await h.api("POST", "/api/v1/auth/login", {
          body: { username: "sys.fund", password: "Fund-Pass-2026!" },
        });
        expect(rest.status).toBe(423);
        h.clock.advance(16 * 60_000);
        try {
          // Unlocked; a new account must change its password first, which SOAP cannot do.
          const fault = await faultOf(await reconcile({ username: "sys.fund", password: "Fund-Pass-2026!" }));
          expect(fault.code).toBe("HUB_AUTH_PASSWORD_CHANGE_REQUIRED");
        } finally {
          h.clock.reset();
        }
      });
    });

    if (topology === "cluster-nats-postgres") {
      it("carries notifications through the JetStream channel", async () => {
        const nc = await connect({ servers: h.env.TRANSPORTER.replace(/^nats:\/\//, "") });
        try {
          const info = await (
            await nc.jetstreamManager()
          ).streams.info(`${h.env.HUB_NAMESPACE}_transactions`);
          expect(info.state.messages).toBeGreaterThan(0);
          expect(info.config.storage).toBe("file");
        } finally {
          await nc.close();
        }
      });
    }

    it("left the audit chain whole", async () => {
      const verify = await h.api("GET", "/api/v1/audit/verify", { token: await token("hq.auditor") });
      expect(verify.body.ok).toBe(true);
      const notified = await h.db.manager
        .getRepository(AuditEntryEntity)
        .countBy({ action: "transaction.notify" });
      expect(notified).toBeGreaterThan(10);
    });
  });
}
