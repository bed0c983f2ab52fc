/**
 * CRM pushes end to end: a hub whose HUB_PLUGINS manifest enables the crm plugin over the CRM's SOAP simulator. A
 * recording submitted through the REST API reaches the customer's CRM timeline as "双录已提交"; the counter's
 * NotifyTransaction binds it and "双录已绑定交易" follows; with the CRM down the push waits in the plugin outbox (the hub
 * stays ready) and is delivered exactly once when the CRM is back. One process on SQLite, and on PostgreSQL.
 */
import { PluginOutboxEntity, ProductEntity, type PluginOutboxRow } from "../../hub/db/entities";
import { pluginOutboxStatus } from "../../hub/services/plugin-outbox/plugin-outbox";
import { simulate, type SimulatedSystem } from "../simulators";
import { manifestFile } from "../simulators/for-tests";
import type { crmSimulator } from "../simulators/systems/crm";
import {
  DEMO_PASSWORD,
  startHarness,
  topologyAvailable,
  type Harness,
  type Topology,
} from "../support/hub-harness";
import {
  eventually,
  operationXml,
  postSoap,
  readAnswer,
  soapEnvelope,
  submitRecording,
} from "./soap-support";

jest.setTimeout(180_000);

const HUB = "https://hub.bank.example";
const TIMELINE = "https://crm.bank.example/customer/{customerNo}/timeline?activity={activityNo}";
const CUSTOMER = "C000000001";
const PRODUCT = "CRMWM001";
const COUNTER = { username: "sys.counter", password: DEMO_PASSWORD };

describe.each<Topology>(["embedded-sqlite", "postgres"])("CRM pushes (%s)", (topology) => {
  const describeIf = topologyAvailable(topology) ? describe : describe.skip;

  describeIf("through the plugin outbox", () => {
    let crm: SimulatedSystem;
    let h: Harness;
    let manifest: ReturnType<typeof manifestFile> | undefined;
    let token: string;
    const timeline = () => (crm.simulator as ReturnType<typeof crmSimulator>).activities();
    const pushes = (extId: string) =>
      (crm.simulator as ReturnType<typeof crmSimulator>).pushes().filter((p) => p.extId === extId);
    const outboxRow = (dedupeKey: string) =>
      h.db.manager
        .getRepository(PluginOutboxEntity)
        .findOneBy({ dedupeKey }) as Promise<PluginOutboxRow | null>;
    const delivered = (dedupeKey: string) =>
      eventually(
        async () => {
          const row = await outboxRow(dedupeKey);
          return row?.state === "delivered" ? row : undefined;
        },
        60_000,
        `${dedupeKey} delivered`,
      );

    beforeAll(async () => {
      crm = await simulate("crm", "soap");
      manifest = manifestFile([
        {
          name: "crm",
          settings: { ...crm.settings, timelineUrl: TIMELINE },
          // A short cool-down: the CRM comes back within the test.
          breaker: { failureThreshold: 5, coolDownMs: 1000 },
        },
      ]);
      h = await startHarness(topology, {
        HUB_PLUGINS: manifest.file,
        HUB_PLUGIN_OUTBOX_INTERVAL: "1",
        HUB_PUBLIC_URL: HUB,
        HUB_SCRUB_INTERVAL: "0",
      });
      const at = new Date().toISOString();
      await h.db.manager.getRepository(ProductEntity).save({
        code: PRODUCT,
        name: "稳享理财CRM专享",
        type: "WEALTH",
        risk: "R1",
        issuer: null,
        inceptionDate: "2024-01-01",
        maturityDate: null,
        termMonths: null,
        recordingRequired: null,
        features: null,
        risks: null,
        customerRights: null,
        createdAt: at,
        updatedAt: at,
      });
      token = await h.login("sh.pd.sales1");
    });
    afterAll(async () => {
      await h?.stop();
      await crm?.stop();
      manifest?.remove();
    });

    it("puts a submitted recording on the customer's CRM timeline, with a link back into the hub", async () => {
      const id = await submitRecording(h.url, token, CUSTOMER, PRODUCT);
      const row = await delivered(`RS-${id}`);
      expect(row).toMatchObject({ capability: "crm.pushActivity", attempts: 1, faults: 0, lastError: null });
      expect(JSON.parse(row.result!)).toEqual({
        activityNo: expect.stringMatching(/^ACT2026\d{8}$/),
        duplicate: false,
        timelineUrl: expect.stringMatching(
          /^https:\/\/crm\.bank\.example\/customer\/C000000001\/timeline\?activity=ACT2026\d{8}$/,
        ),
      });
      expect(timeline()).toContainEqual(
        expect.objectContaining({
          EXT_ID: `RS-${id}`,
          CUST_NO: CUSTOMER,
          ACT_TYPE: "DR_SUBMITTED",
          TITLE: "双录已提交：稳享理财CRM专享",
          LINK_URL: `${HUB}/view/recording.html?id=${id}`,
          ORG_CODE: "310100",
          STAFF_NO: "S1002",
          PROD_CODE: PRODUCT,
          SALE_NO: null,
        }),
      );
      expect(pushes(`RS-${id}`)).toEqual([{ extId: `RS-${id}`, duplicate: false }]);
    });

    it("puts the binding to the counter's purchase on the timeline after NotifyTransaction SUCCESS", async () => {
      const id = await submitRecording(h.url, token, CUSTOMER, PRODUCT);
      const txnId = `CRMTXN${Date.now()}`;
      const answer = await postSoap(
        h.url,
        soapEnvelope(
          operationXml("NotifyTransaction", {
            txnId,
            sourceSystem: "COUNTER",
            customerNo: CUSTOMER,
            productCode: PRODUCT,
            amount: "50000.00",
            branchCode: "310100",
            tellerId: "T0001",
            tradeTime: new Date().toISOString(),
            status: "SUCCESS",
          }),
          COUNTER,
        ),
      );
      expect(answer.status).toBe(200);
      const notified = (await readAnswer(answer.text)).NotifyTransactionResponse;
      expect(notified.recordingIds.recordingId).toContain(id);

      const key = `RB-${id}-${txnId}`;
      await delivered(key);
      expect(timeline()).toContainEqual(
        expect.objectContaining({
          EXT_ID: key,
          ACT_TYPE: "DR_BOUND",
          TITLE: `双录已绑定交易${txnId}：稳享理财CRM专享`,
          LINK_URL: `${HUB}/view/recording.html?id=${id}`,
          SALE_NO: txnId,
        }),
      );
      expect(pushes(key)).toEqual([{ extId: key, duplicate: false }]);
    });

    it("keeps the push while the CRM is down, stays ready, and delivers it once when the CRM is back", async () => {
      await crm.behave({ mode: "down" });
      let id: string;
      try {
        id = await submitRecording(h.url, token, CUSTOMER, PRODUCT);
        const waiting = await eventually(
          async () => {
            const row = await outboxRow(`RS-${id}`);
            return row && row.attempts >= 1 ? row : undefined;
          },
          30_000,
          "a failed delivery",
        );
        expect(waiting).toMatchObject({ state: "pending", faults: 0, deliveredAt: null });
        expect(waiting.lastError).toMatch(/^HUB_LEGACY_(UNAVAILABLE|CIRCUIT_OPEN)/);
        const status = await pluginOutboxStatus(h.db);
        expect(status.pending).toBeGreaterThanOrEqual(1);
        expect(status.oldestPendingAgeSeconds).not.toBeNull();
        expect((await h.api("GET", "/health/ready")).status).toBe(200);
        expect(pushes(`RS-${id}`)).toEqual([]);
      } finally {
        await crm.behave({ mode: "up" });
      }
      const row = await delivered(`RS-${id}`);
      expect(row.attempts).toBeGreaterThanOrEqual(2);
      expect(row.lastError).toBeNull();
      expect(pushes(`RS-${id}`)).toEqual([{ extId: `RS-${id}`, duplicate: false }]);
      expect(timeline().filter((a) => a.EXT_ID === `RS-${id}`)).toHaveLength(1);
      expect((await pluginOutboxStatus(h.db)).pending).toBe(0);
    });
  });
});
