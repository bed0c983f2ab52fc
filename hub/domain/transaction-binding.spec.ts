/**
 * Purchase notifications and their binding to recordings. Expectations are literal; the tables walk every
 * combination of the facts each rule reads.
 */
import {
  bindingCandidates,
  bindsTo,
  classifyNotice,
  decideSupplement,
  holdingStatus,
  normalizeAmount,
  normalizeNotice,
  noticeFingerprint,
  parseTradeTime,
  planBinding,
  recordedDay,
  recordingStatusOf,
  SUPPLEMENT_DAYS,
  TXN_RECORDING_STATUSES,
  TXN_STATUSES,
  type BindableRecording,
  type BindingTarget,
  type NoticeAnswer,
  type StoredNotice,
  type TransactionNotice,
  type TxnRecordingStatus,
  type TxnStatus,
} from "./transaction-binding";

const notice: TransactionNotice = {
  txnId: "T20261123000001",
  sourceSystem: "COUNTER",
  customerNo: "C000000001",
  productCode: "WM2026001",
  amount: "50000",
  branchCode: "310100",
  tellerId: "T0001",
  tradeTime: "2026-11-23T10:15:00",
  status: "SUCCESS",
};

describe("parseTradeTime", () => {
  it.each([
    ["2026-11-23T10:15:00", "2026-11-23T02:15:00.000Z"], // no zone: Beijing time
    ["2026-11-23T10:15:00+08:00", "2026-11-23T02:15:00.000Z"],
    ["2026-11-23T02:15:00Z", "2026-11-23T02:15:00.000Z"],
    ["2026-11-23T02:15:00.5Z", "2026-11-23T02:15:00.500Z"],
    ["2026-11-23T02:15:00.123456Z", "2026-11-23T02:15:00.123Z"],
    ["2026-11-22T21:15:00-05:00", "2026-11-23T02:15:00.000Z"],
    ["2026-11-23T00:30:00", "2026-11-22T16:30:00.000Z"],
    ["2024-02-29T12:00:00Z", "2024-02-29T12:00:00.000Z"],
  ])("%s → %s", (text, iso) => {
    expect(parseTradeTime(text)!.toISOString()).toBe(iso);
  });

  it.each([
    "2026-02-29T10:00:00", // not a leap year
    "2026-13-01T10:00:00",
    "2026-11-31T10:00:00",
    "2026-11-23T24:00:00",
    "2026-11-23T10:60:00",
    "2026-11-23T10:15:60",
    "2026-11-23 10:15:00",
    "2026-11-23",
    "2026-11-23T10:15:00+15:00",
    "2026-11-23T10:15:00+0800",
    "",
  ])("refuses %j", (text) => {
    expect(parseTradeTime(text)).toBeNull();
  });
});

describe("normalizeAmount", () => {
  it.each([
    ["50000", "50000.00"],
    ["0100.5", "100.50"],
    ["1.25", "1.25"],
    ["+7", "7.00"],
    ["0", "0.00"],
    [" 3.10 ", "3.10"],
  ])("%j → %s", (text, out) => expect(normalizeAmount(text)).toBe(out));

  it.each(["1.234", "-1", "1e3", "1,000", "", ".5", "5."])("refuses %j", (text) => {
    expect(normalizeAmount(text)).toBeNull();
  });
});

describe("normalizeNotice", () => {
  it("puts time, day and amount in canonical form", () => {
    expect(normalizeNotice(notice)).toEqual({
      ok: true,
      value: { ...notice, amount: "50000.00", tradeTime: "2026-11-23T02:15:00.000Z", tradeDay: "2026-11-23" },
    });
  });

  it("counts a purchase just after midnight Beijing time on that Beijing day", () => {
    const r = normalizeNotice({ ...notice, tradeTime: "2026-11-22T16:05:00Z" });
    expect(r.ok && r.value.tradeDay).toBe("2026-11-23");
  });

  it("reports every problem", () => {
    expect(normalizeNotice({ ...notice, tradeTime: "2026-02-30T10:00:00", amount: "0.00" })).toEqual({
      ok: false,
      problems: [
        { field: "tradeTime", code: "format", message: "must be an xsd:dateTime that exists" },
        { field: "amount", code: "exclusiveMinimum", message: "must be more than 0" },
      ],
    });
    expect(normalizeNotice({ ...notice, amount: "1.001" })).toMatchObject({
      ok: false,
      problems: [{ field: "amount", code: "format" }],
    });
  });
});

describe("noticeFingerprint", () => {
  const norm = (n: TransactionNotice) => {
    const r = normalizeNotice(n);
    if (!r.ok) throw new Error("invalid");
    return r.value;
  };
  const base = noticeFingerprint(norm(notice));

  it("is a SHA-256 in hex, the same for the same facts written differently", () => {
    expect(base).toMatch(/^[0-9a-f]{64}$/);
    expect(
      noticeFingerprint(norm({ ...notice, amount: "50000.00", tradeTime: "2026-11-23T02:15:00Z" })),
    ).toBe(base);
  });

  it("ignores the status (a reversal repeats the purchase's facts)", () => {
    expect(noticeFingerprint(norm({ ...notice, status: "REVERSED" }))).toBe(base);
  });

  it.each([
    ["sourceSystem", "CORE"],
    ["customerNo", "C000000002"],
    ["productCode", "WM2026002"],
    ["amount", "50000.01"],
    ["branchCode", "310200"],
    ["tellerId", "T0002"],
    ["tradeTime", "2026-11-23T10:15:01"],
  ])("changes with %s", (field, value) => {
    expect(noticeFingerprint(norm({ ...notice, [field]: value }))).not.toBe(base);
  });
});

describe("classifyNotice", () => {
  const A: NoticeAnswer = { accepted: true, recordingStatus: "RECORDED", recordingIds: ["a".repeat(32)] };
  const B: NoticeAnswer = { accepted: true, recordingStatus: "NOT_REQUIRED", recordingIds: [] };
  const stored = (
    status: TxnStatus,
    successAnswer: NoticeAnswer | null,
    reversalAnswer: NoticeAnswer | null,
  ): StoredNotice => ({ fingerprint: "f", status, successAnswer, reversalAnswer });

  it.each([
    ["nothing stored, a purchase", null, "SUCCESS", "f", { kind: "new" }],
    ["nothing stored, a reversal", null, "REVERSED", "f", { kind: "new" }],
    ["a purchase repeated", stored("SUCCESS", A, null), "SUCCESS", "f", { kind: "repeat", answer: A }],
    ["a purchase reversed", stored("SUCCESS", A, null), "REVERSED", "f", { kind: "reversal" }],
    ["a reversal repeated", stored("REVERSED", A, B), "REVERSED", "f", { kind: "repeat", answer: B }],
    [
      "the purchase repeated after its reversal",
      stored("REVERSED", A, B),
      "SUCCESS",
      "f",
      { kind: "repeat", answer: A },
    ],
    [
      "a purchase after a reversal that came first",
      stored("REVERSED", null, B),
      "SUCCESS",
      "f",
      { kind: "conflict", reason: "ALREADY_REVERSED" },
    ],
    [
      "a reversal repeated (came first)",
      stored("REVERSED", null, B),
      "REVERSED",
      "f",
      { kind: "repeat", answer: B },
    ],
    [
      "other facts, same status",
      stored("SUCCESS", A, null),
      "SUCCESS",
      "g",
      { kind: "conflict", reason: "CONTENT_DIFFERS" },
    ],
    [
      "other facts, a reversal",
      stored("SUCCESS", A, null),
      "REVERSED",
      "g",
      { kind: "conflict", reason: "CONTENT_DIFFERS" },
    ],
    [
      "other facts after a reversal",
      stored("REVERSED", A, B),
      "REVERSED",
      "g",
      { kind: "conflict", reason: "CONTENT_DIFFERS" },
    ],
  ] as const)("%s", (_name, s, status, fingerprint, expected) => {
    expect(classifyNotice(s as StoredNotice | null, status, fingerprint)).toEqual(expected);
  });
});

describe("binding", () => {
  const target: BindingTarget = {
    customerNo: "C1",
    productCode: "P1",
    branchCode: "310100",
    tradeDay: "2026-11-23",
    supplementDeadline: null,
  };
  const rec = (over: Partial<BindableRecording>): BindableRecording => ({
    id: "r".padEnd(32, "0"),
    kind: "sale",
    status: "submitted",
    customerNo: "C1",
    productCode: "P1",
    orgCode: "310100",
    // 2026-11-23 10:00 Beijing
    submittedAt: "2026-11-23T02:00:00.000Z",
    ...over,
  });

  it("takes the Beijing business day of the submission as the recording's day", () => {
    expect(recordedDay(rec({ submittedAt: "2026-11-22T16:00:00.000Z" }))).toBe("2026-11-23");
    expect(recordedDay(rec({ submittedAt: "2026-11-22T15:59:59.999Z" }))).toBe("2026-11-22");
    expect(recordedDay(rec({ submittedAt: null }))).toBeNull();
  });

  it.each([
    ["a sale recorded that day at that outlet", {}, true],
    ["a supplementary recording that day", { kind: "supplement" }, true],
    ["a follow-up call", { kind: "callback" }, false],
    ["camera footage", { kind: "cctv" }, false],
    ["a scan", { kind: "scan" }, false],
    ["a draft", { status: "draft", submittedAt: null }, false],
    ["a recycled recording", { status: "recycled" }, false],
    ["a purged recording", { status: "purged" }, false],
    ["another customer", { customerNo: "C2" }, false],
    ["another product", { productCode: "P2" }, false],
    ["another outlet", { orgCode: "310200" }, false],
    ["the day before", { submittedAt: "2026-11-22T02:00:00.000Z" }, false],
    ["the day after", { submittedAt: "2026-11-24T02:00:00.000Z" }, false],
    ["00:00 Beijing that day", { submittedAt: "2026-11-22T16:00:00.000Z" }, true],
    ["23:59:59 Beijing that day", { submittedAt: "2026-11-23T15:59:59.999Z" }, true],
  ] as const)("without 补录: %s → %s", (_name, over, expected) => {
    expect(bindsTo(target, rec(over as Partial<BindableRecording>))).toBe(expected);
  });

  const withSupplement = { ...target, supplementDeadline: "2026-11-28" };
  it.each([
    ["the trade day", "2026-11-23T02:00:00.000Z", true],
    ["the next day", "2026-11-24T02:00:00.000Z", true],
    ["the deadline", "2026-11-28T15:59:59.999Z", true],
    ["the day after the deadline", "2026-11-28T16:00:00.000Z", false],
    ["the day before the trade", "2026-11-22T02:00:00.000Z", false],
  ])("with 补录 until 2026-11-28: a supplementary recording on %s → %s", (_name, submittedAt, expected) => {
    expect(bindsTo(withSupplement, rec({ kind: "supplement", submittedAt }))).toBe(expected);
    expect(bindsTo(withSupplement, rec({ kind: "sale", submittedAt }))).toBe(expected);
  });

  it("lists every matching take, in id order", () => {
    const ids = ["c".repeat(32), "a".repeat(32), "b".repeat(32)];
    const list = [
      rec({ id: ids[0] }),
      rec({ id: ids[1], kind: "supplement" }),
      rec({ id: ids[2], productCode: "P2" }),
    ];
    expect(bindingCandidates(target, list)).toEqual([ids[1], ids[0]]);
    expect(bindingCandidates(target, [])).toEqual([]);
  });

  it.each([
    ["SUCCESS", [], [], { bind: [], release: [] }],
    ["SUCCESS", [], ["b", "a"], { bind: ["a", "b"], release: [] }],
    ["SUCCESS", ["a"], ["a", "b"], { bind: ["b"], release: [] }],
    ["SUCCESS", ["a"], [], { bind: [], release: [] }], // a bound recording stays bound
    ["SUCCESS", ["a", "b"], ["a", "b"], { bind: [], release: [] }],
    ["REVERSED", [], ["a"], { bind: [], release: [] }],
    ["REVERSED", ["b", "a"], ["a", "b"], { bind: [], release: ["a", "b"] }],
  ] as const)("plan: %s, bound %j, candidates %j → %j", (status, bound, candidates, expected) => {
    expect(planBinding(status, bound, candidates)).toEqual(expected);
  });
});

describe("recordingStatusOf — every combination", () => {
  const cases: [TxnStatus, boolean, number, string | null, string, TxnRecordingStatus][] = [];
  for (const status of TXN_STATUSES)
    for (const required of [true, false])
      for (const bound of [0, 1, 3])
        for (const deadline of [null, "2026-11-28"])
          for (const asOf of ["2026-11-23", "2026-11-28", "2026-11-29"]) {
            let expected: TxnRecordingStatus;
            if (status === "REVERSED" || !required) expected = "NOT_REQUIRED";
            else if (bound > 0) expected = "RECORDED";
            else if (deadline !== null && asOf <= deadline) expected = "SUPPLEMENT_PENDING";
            else expected = "MISSING";
            cases.push([status, required, bound, deadline, asOf, expected]);
          }

  it("covers 72 combinations", () => expect(cases).toHaveLength(72));
  it.each(cases)(
    "%s required=%s bound=%d deadline=%s asOf=%s → %s",
    (status, required, bound, deadline, asOf, expected) => {
      expect(
        recordingStatusOf(
          { status, recordingRequired: required, boundCount: bound, supplementDeadline: deadline },
          asOf,
        ),
      ).toBe(expected);
    },
  );
});

describe("decideSupplement", () => {
  it("gives 5 days from the trade day", () => expect(SUPPLEMENT_DAYS).toBe(5));

  it.each([
    ["SUCCESS", true, 0, "2026-11-23", { ok: true, deadline: "2026-11-28" }],
    ["SUCCESS", true, 0, "2026-11-28", { ok: true, deadline: "2026-11-28" }],
    ["SUCCESS", true, 0, "2026-11-29", { ok: false, reason: "EXPIRED" }],
    ["SUCCESS", true, 1, "2026-11-23", { ok: false, reason: "RECORDED" }],
    ["SUCCESS", false, 0, "2026-11-23", { ok: false, reason: "NOT_REQUIRED" }],
    ["SUCCESS", false, 1, "2026-11-23", { ok: false, reason: "NOT_REQUIRED" }],
    ["REVERSED", true, 0, "2026-11-23", { ok: false, reason: "REVERSED" }],
    ["REVERSED", false, 1, "2026-11-23", { ok: false, reason: "REVERSED" }],
  ] as const)("%s required=%s bound=%d on %s → %j", (status, required, bound, asOf, expected) => {
    expect(
      decideSupplement({ status, recordingRequired: required, boundCount: bound }, "2026-11-23", asOf),
    ).toEqual(expected);
  });

  it("crosses month and year ends", () => {
    expect(
      decideSupplement(
        { status: "SUCCESS", recordingRequired: true, boundCount: 0 },
        "2026-12-29",
        "2026-12-29",
      ),
    ).toEqual({
      ok: true,
      deadline: "2027-01-03",
    });
  });
});

describe("holdingStatus", () => {
  it.each(TXN_RECORDING_STATUSES.map((s) => [s]))("one purchase %s → itself", (s) => {
    expect(holdingStatus([s], true, 0)).toBe(s);
  });

  it.each([
    [["RECORDED", "MISSING"], "MISSING"],
    [["RECORDED", "SUPPLEMENT_PENDING"], "SUPPLEMENT_PENDING"],
    [["NOT_REQUIRED", "RECORDED"], "RECORDED"],
    [["NOT_REQUIRED", "NOT_REQUIRED"], "NOT_REQUIRED"],
    [["SUPPLEMENT_PENDING", "MISSING", "RECORDED"], "MISSING"],
  ] as const)("purchases %j → %s (the worst)", (list, expected) => {
    expect(holdingStatus(list, true, 5)).toBe(expected);
    expect(holdingStatus(list, false, 0)).toBe(expected);
  });

  it.each([
    [true, 0, "MISSING"],
    [true, 2, "RECORDED"],
    [false, 0, "NOT_REQUIRED"],
    [false, 2, "NOT_REQUIRED"],
  ] as const)("no purchase yet, required=%s, %d recordings → %s", (required, n, expected) => {
    expect(holdingStatus([], required, n)).toBe(expected);
  });
});
