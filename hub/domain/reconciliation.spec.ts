/**
 * End-of-day reconciliation per teller and outlet. The first table walks every (status, recording status) a
 * transaction can have; the others check the grouping, the invariant and the message.
 */
import {
  counterSaleNotice,
  missingMessage,
  salesToStore,
  outletReconciliation,
  reconcile,
  totalOf,
  type CounterSaleFacts,
  type ReconciledTxn,
  type ReconciliationCounts,
} from "./reconciliation";
import {
  normalizeNotice,
  TXN_RECORDING_STATUSES,
  TXN_STATUSES,
  type TxnRecordingStatus,
  type TxnStatus,
} from "./transaction-binding";

let seq = 0;
const txn = (over: Partial<ReconciledTxn> = {}): ReconciledTxn => ({
  txnId: `T${++seq}`,
  branchCode: "310100",
  tellerId: "T0001",
  status: "SUCCESS",
  recordingStatus: "RECORDED",
  ...over,
});

const zero: Omit<ReconciliationCounts, "message"> = {
  salesCount: 0,
  recordedCount: 0,
  missingCount: 0,
  supplementPendingCount: 0,
  notRequiredCount: 0,
  reversedCount: 0,
};

describe("missingMessage", () => {
  it.each([
    [0, ""],
    [1, "今日有1笔产品购买行为未进行录音录像"],
    [12, "今日有12笔产品购买行为未进行录音录像"],
  ])("%d → %j", (n, text) => expect(missingMessage(n)).toBe(text));
});

describe("one transaction — every status", () => {
  const expected = (status: TxnStatus, rs: TxnRecordingStatus): Omit<ReconciliationCounts, "message"> => {
    if (status === "REVERSED") return { ...zero, reversedCount: 1 };
    return {
      ...zero,
      salesCount: 1,
      recordedCount: rs === "RECORDED" ? 1 : 0,
      missingCount: rs === "MISSING" || rs === "SUPPLEMENT_PENDING" ? 1 : 0,
      supplementPendingCount: rs === "SUPPLEMENT_PENDING" ? 1 : 0,
      notRequiredCount: rs === "NOT_REQUIRED" ? 1 : 0,
    };
  };
  const cases = TXN_STATUSES.flatMap((s) => TXN_RECORDING_STATUSES.map((r) => [s, r] as const));

  it("covers 8 combinations", () => expect(cases).toHaveLength(8));
  it.each(cases)("%s / %s", (status, recordingStatus) => {
    const [outlet] = reconcile([txn({ status, recordingStatus })]);
    const counts = expected(status, recordingStatus);
    const message = counts.missingCount ? "今日有1笔产品购买行为未进行录音录像" : "";
    expect(outlet).toEqual({
      branchCode: "310100",
      ...counts,
      message,
      tellers: [{ branchCode: "310100", tellerId: "T0001", ...counts, message }],
    });
  });
});

describe("grouping", () => {
  it("groups per outlet and teller, sorted by code, each with its own message", () => {
    const txns = [
      txn({ branchCode: "310200", tellerId: "B", recordingStatus: "MISSING" }),
      txn({ branchCode: "310100", tellerId: "Z", recordingStatus: "RECORDED" }),
      txn({ branchCode: "310100", tellerId: "A", recordingStatus: "MISSING" }),
      txn({ branchCode: "310100", tellerId: "A", recordingStatus: "SUPPLEMENT_PENDING" }),
      txn({ branchCode: "310100", tellerId: "A", recordingStatus: "RECORDED" }),
      txn({ branchCode: "310100", tellerId: "Z", status: "REVERSED", recordingStatus: "NOT_REQUIRED" }),
      txn({ branchCode: "310100", tellerId: "Z", recordingStatus: "NOT_REQUIRED" }),
    ];
    const out = reconcile(txns);
    expect(out.map((o) => o.branchCode)).toEqual(["310100", "310200"]);
    expect(out[0]).toMatchObject({
      salesCount: 5,
      recordedCount: 2,
      missingCount: 2,
      supplementPendingCount: 1,
      notRequiredCount: 1,
      reversedCount: 1,
      message: "今日有2笔产品购买行为未进行录音录像",
    });
    expect(out[0].tellers.map((t) => [t.tellerId, t.salesCount, t.missingCount, t.message])).toEqual([
      ["A", 3, 2, "今日有2笔产品购买行为未进行录音录像"],
      ["Z", 2, 0, ""],
    ]);
    expect(out[1]).toMatchObject({ salesCount: 1, missingCount: 1, tellers: [{ tellerId: "B" }] });
  });

  it("keeps sales = recorded + missing + not required, for every outlet and teller", () => {
    const statuses = TXN_STATUSES.flatMap((s) => TXN_RECORDING_STATUSES.map((r) => [s, r] as const));
    const txns: ReconciledTxn[] = [];
    for (let i = 0; i < 200; i++) {
      const [status, recordingStatus] = statuses[(i * 7) % statuses.length];
      txns.push(txn({ branchCode: `3101${i % 3}0`, tellerId: `T${i % 5}`, status, recordingStatus }));
    }
    const out = reconcile(txns);
    const all = [...out, ...out.flatMap((o) => o.tellers)];
    for (const c of all) {
      expect(c.salesCount).toBe(c.recordedCount + c.missingCount + c.notRequiredCount);
      expect(c.supplementPendingCount).toBeLessThanOrEqual(c.missingCount);
      expect(c.message).toBe(missingMessage(c.missingCount));
    }
    expect(out.reduce((n, o) => n + o.salesCount + o.reversedCount, 0)).toBe(200);
  });

  it("refuses a transaction given twice (it would count twice)", () => {
    const t = txn();
    expect(() => reconcile([t, { ...t }])).toThrow(/given twice/);
  });

  it("refuses an unknown recording status", () => {
    expect(() => reconcile([txn({ recordingStatus: "LOST" as TxnRecordingStatus })])).toThrow(RangeError);
  });

  it("answers nothing for no transactions", () => expect(reconcile([])).toEqual([]));
});

describe("outletReconciliation and totalOf", () => {
  const txns = [
    txn({ tellerId: "A", recordingStatus: "MISSING" }),
    txn({ tellerId: "B", recordingStatus: "RECORDED" }),
    txn({ branchCode: "310200", recordingStatus: "MISSING" }),
  ];

  it("answers one outlet, or one teller of it", () => {
    expect(outletReconciliation(txns, "310100")).toMatchObject({ salesCount: 2, missingCount: 1 });
    expect(outletReconciliation(txns, "310100", "B")).toMatchObject({
      salesCount: 1,
      missingCount: 0,
      message: "",
    });
  });

  it("answers zeros for an outlet without purchases", () => {
    expect(outletReconciliation(txns, "110100")).toEqual({
      branchCode: "110100",
      ...zero,
      message: "",
      tellers: [],
    });
  });

  it("sums outlets with the message of the sum", () => {
    expect(totalOf(reconcile(txns))).toEqual({
      ...zero,
      salesCount: 3,
      recordedCount: 1,
      missingCount: 2,
      message: "今日有2笔产品购买行为未进行录音录像",
    });
  });
});

describe("the counter's list of sales (sales.listByDay)", () => {
  const sale = (over: Partial<CounterSaleFacts> = {}): CounterSaleFacts => ({
    saleNo: "GT20260302000001",
    day: "2026-03-02",
    time: "09:15:30",
    orgCode: "310101",
    staffNo: "T0001",
    customerNo: "C0001",
    productCode: "WM2026A",
    amount: "50000.00",
    status: "SUCCESS",
    ...over,
  });

  it("is the notification the counter would have sent, at Beijing time", () => {
    const notice = counterSaleNotice(sale());
    expect(notice).toEqual({
      txnId: "GT20260302000001",
      sourceSystem: "COUNTER",
      customerNo: "C0001",
      productCode: "WM2026A",
      amount: "50000.00",
      branchCode: "310101",
      tellerId: "T0001",
      tradeTime: "2026-03-02T09:15:30+08:00",
      status: "SUCCESS",
    });
    const normalized = normalizeNotice(notice);
    expect(normalized.ok && normalized.value.tradeDay).toBe("2026-03-02");
    expect(normalized.ok && normalized.value.tradeTime).toBe("2026-03-02T01:15:30.000Z");
  });

  it("counts a sale without a time on its own day (not the day before in UTC)", () => {
    const normalized = normalizeNotice(counterSaleNotice(sale({ time: null })));
    expect(normalized.ok && normalized.value.tradeDay).toBe("2026-03-02");
    expect(normalized.ok && normalized.value.tradeTime).toBe("2026-03-01T16:00:00.000Z");
  });

  it("keeps a reversal a reversal", () => {
    expect(counterSaleNotice(sale({ status: "REVERSED" })).status).toBe("REVERSED");
  });

  it.each([
    ["unknown sale", undefined, "SUCCESS", true],
    ["unknown reversal", undefined, "REVERSED", true],
    ["known purchase listed again", "SUCCESS", "SUCCESS", false],
    ["known purchase now reversed", "SUCCESS", "REVERSED", true],
    ["reversal already held", "REVERSED", "REVERSED", false],
    ["held as reversed, listed as sale", "REVERSED", "SUCCESS", false],
  ] as const)("%s → stored: %s", (_name, held, listed, stored) => {
    const known = new Map<string, TxnStatus>(held ? [["S1", held]] : []);
    expect(salesToStore([sale({ saleNo: "S1", status: listed })], known).length).toBe(stored ? 1 : 0);
  });

  it("takes a sale listed twice once, the later entry", () => {
    const listed = [
      sale({ saleNo: "S1", status: "SUCCESS" }),
      sale({ saleNo: "S2" }),
      sale({ saleNo: "S1", status: "REVERSED" }),
    ];
    const result = salesToStore(listed, new Map());
    expect(result.map((s) => [s.saleNo, s.status])).toEqual([
      ["S1", "REVERSED"],
      ["S2", "SUCCESS"],
    ]);
  });
});
