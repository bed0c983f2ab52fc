import { runConformance } from "../../sdk/conformance";
import { expectHubError, hostFor } from "../../sdk/harness";
import { SOAP_SIMULATORS } from "../../../test/simulators";
import type { crmSimulator } from "../../../test/simulators/systems/crm";

const TIMELINE = "https://crm.bank.example/customer/{customerNo}/timeline?activity={activityNo}";

describe("crm plugin over SOAP", () => {
  let crm: ReturnType<typeof crmSimulator>;
  beforeEach(async () => {
    crm = (await SOAP_SIMULATORS.crm().start()) as ReturnType<typeof crmSimulator>;
  });
  afterEach(() => crm.stop());

  it("passes the conformance kit against the simulator, answers equal to the fixtures", async () => {
    const report = await runConformance({
      plugin: "crm",
      settings: { wsdlUrl: crm.wsdlUrl },
      env: {},
      compareExpected: true,
    });
    expect(report.results.filter((r) => !r.ok)).toEqual([]);
  });

  const submitted = {
    activityId: "rec-20260302-000777",
    kind: "RECORDING_SUBMITTED" as const,
    customerNo: "C000000010",
    occurredAt: "2026-03-02T06:30:00Z",
    orgCode: "310100",
    staffNo: "S1002",
    productCode: "WM2026002",
    productName: "安盈理财一年期",
    title: "双录已提交：安盈理财一年期",
    recordingUrl: "https://hub.bank.example/recordings/rec-20260302-000777",
  };

  it("puts the recording on the customer's timeline and answers with a deep link to the entry", async () => {
    const host = hostFor("crm", { settings: { wsdlUrl: crm.wsdlUrl, timelineUrl: TIMELINE } });
    try {
      const answer = await host.call("crm.pushActivity", submitted);
      expect(answer).toEqual({
        activityNo: "ACT202600000001",
        duplicate: false,
        timelineUrl: "https://crm.bank.example/customer/C000000010/timeline?activity=ACT202600000001",
      });
      expect(crm.activities()).toEqual([
        expect.objectContaining({
          EXT_ID: "rec-20260302-000777",
          CUST_NO: "C000000010",
          ACT_TYPE: "DR_SUBMITTED",
          TITLE: "双录已提交：安盈理财一年期",
          LINK_URL: "https://hub.bank.example/recordings/rec-20260302-000777",
          SALE_NO: null,
        }),
      ]);
    } finally {
      await host.close();
    }
  });

  it("is idempotent on activityId: a repeated push (a retry) is answered as a duplicate of the first", async () => {
    const host = hostFor("crm", { settings: { wsdlUrl: crm.wsdlUrl } });
    try {
      const first = await host.call("crm.pushActivity", submitted);
      const again = await host.call("crm.pushActivity", submitted);
      expect(again).toEqual({ ...first, duplicate: true });
      expect(crm.activities()).toHaveLength(1);
    } finally {
      await host.close();
    }
  });

  it("needs the counter sale's number for a recording bound to it", async () => {
    const host = hostFor("crm", { settings: { wsdlUrl: crm.wsdlUrl } });
    try {
      const e = await expectHubError(
        host.call("crm.pushActivity", { ...submitted, kind: "RECORDING_BOUND" }),
        "HUB_VALIDATION_FAILED",
      );
      expect(e.data).toEqual(
        expect.arrayContaining([expect.objectContaining({ field: "request.saleNo", code: "required" })]),
      );
      const bound = await host.call("crm.pushActivity", {
        ...submitted,
        activityId: "rec-20260302-000777-b",
        kind: "RECORDING_BOUND",
        saleNo: "CT20260302310100001",
      });
      expect(bound.duplicate).toBe(false);
      expect(crm.activities()[0]).toMatchObject({ ACT_TYPE: "DR_BOUND", SALE_NO: "CT20260302310100001" });
    } finally {
      await host.close();
    }
  });

  it("turns the CRM's refusal of an unknown customer into LegacyFaultError CRM404", async () => {
    const host = hostFor("crm", { settings: { wsdlUrl: crm.wsdlUrl } });
    try {
      const e = await expectHubError(
        host.call("crm.pushActivity", { ...submitted, customerNo: "C404" }),
        "HUB_LEGACY_FAULT",
      );
      expect(e.data).toMatchObject({ faultCode: "CRM404" });
    } finally {
      await host.close();
    }
  });

  it("refuses a timelineUrl that is not an http(s) link, at load time", async () => {
    await expectHubError(
      async () => hostFor("crm", { settings: { wsdlUrl: crm.wsdlUrl, timelineUrl: "crm://timeline" } }),
      "HUB_PLUGIN_SETTINGS",
    );
  });
});
