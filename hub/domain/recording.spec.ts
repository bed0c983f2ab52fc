/**
 * The rules of a recording's life, written out literally from ARCHITECTURE §2, docs/evidence-store.md and issue 4
 * (not derived from the module's tables), so that a change of policy has to be made twice.
 */
import { canonicalJson } from "./audit-chain";
import { ROLES, type Role } from "./permissions";
import {
  MEDIA_STATUSES,
  MEDIA_TYPES_BY_KIND,
  RECORDING_KINDS,
  RECORDING_STATUSES,
  RENDITIONS,
  buildManifest,
  checkAbort,
  checkSteps,
  checkSubmission,
  createdAtBounds,
  decideAbort,
  decideEvidence,
  decidePlay,
  decideRead,
  decideSubmit,
  decideUpload,
  isRecordingKind,
  isRendition,
  listMode,
  manifestText,
  mediaTypeAllowed,
  mediaTypeEssence,
  needsRiskMatch,
  nextStatus,
  normalizeTimestamp,
  recordingIdFrom,
  relatedToProblem,
  uploadState,
  type ManifestSource,
  type RecordingActor,
  type RecordingEvent,
  type RecordingFacts,
  type RecordingKind,
  type RecordingStatus,
  type SubmitProblem,
  type Submission,
} from "./recording";

const HQ = "000000";
const SH = "000000/310000";
const PD = "000000/310000/310100"; // 浦东支行
const BJ_CY = "000000/110000/110100"; // 朝阳支行

const KINDS: RecordingKind[] = ["sale", "supplement", "callback", "cctv", "scan"];
const EVENTS: RecordingEvent[] = ["uploadStarted", "uploadCompleted", "uploadTerminated", "submit", "abort"];

const actor = (role: Role, orgPath: string, username = `${role}.user`): RecordingActor => ({
  username,
  role,
  orgPath,
});

function recording(overrides: Partial<RecordingFacts> = {}): RecordingFacts {
  return {
    createdBy: "sh.pd.sales1",
    orgPath: PD,
    status: "draft",
    originalObject: "obj1",
    uploadedAt: "2026-11-23T09:30:00.000Z",
    canonicalObject: null,
    ...overrides,
  };
}

const HEX_A = "a".repeat(64);
const HEX_B = "b".repeat(64);
const HEX_C = "c".repeat(64);

describe("kinds, statuses, renditions", () => {
  it("names the five kinds, four statuses, four media statuses and two renditions", () => {
    expect(RECORDING_KINDS).toEqual(KINDS);
    expect(RECORDING_STATUSES).toEqual(["draft", "submitted", "recycled", "purged"]);
    expect(MEDIA_STATUSES).toEqual(["none", "pending", "done", "failed"]);
    expect(RENDITIONS).toEqual(["original", "canonical"]);
  });

  it.each(KINDS)("recognises the kind %s", (k) => expect(isRecordingKind(k)).toBe(true));
  it.each([["Sale"], ["purchase"], [""], [null], [undefined], [1], ["补录"]])("refuses the kind %j", (k) =>
    expect(isRecordingKind(k)).toBe(false),
  );
  it.each([["original"], ["canonical"]])("recognises the rendition %s", (r) =>
    expect(isRendition(r)).toBe(true),
  );
  it.each([["poster"], ["Original"], [""], [null]])("refuses the rendition %j", (r) =>
    expect(isRendition(r)).toBe(false),
  );

  it.each([
    ["sale", true],
    ["supplement", false],
    ["callback", false],
    ["cctv", false],
    ["scan", false],
  ] as const)("the risk match gates a %s: %s", (kind, gated) => expect(needsRiskMatch(kind)).toBe(gated));
});

describe("recording ids", () => {
  it("are the 16 random bytes in lowercase hex", () => {
    const bytes = Uint8Array.from({ length: 16 }, (_, i) => i * 17);
    expect(recordingIdFrom(bytes)).toBe("00112233445566778899aabbccddeeff");
  });
  it.each([0, 15, 17, 32])("refuse %i bytes", (n) => {
    expect(() => recordingIdFrom(new Uint8Array(n))).toThrow(RangeError);
  });
});

describe("media types per kind", () => {
  const TABLE: Record<RecordingKind, string[]> = {
    sale: ["video/webm", "video/mp4"],
    supplement: ["video/webm", "video/mp4"],
    callback: ["audio/webm", "audio/ogg", "audio/mpeg", "audio/wav"],
    cctv: ["video/webm", "video/mp4"],
    scan: ["image/jpeg", "image/png", "application/pdf"],
  };
  const ALL = [...new Set(Object.values(TABLE).flat())];

  it("is the table of the issue's upload types, split by what each kind records", () => {
    expect(MEDIA_TYPES_BY_KIND).toEqual(TABLE);
  });

  it.each(KINDS.flatMap((kind) => ALL.map((type) => [kind, type, TABLE[kind].includes(type)] as const)))(
    "%s takes %s: %s",
    (kind, type, allowed) => expect(mediaTypeAllowed(kind, type)).toBe(allowed),
  );

  it.each([
    ['video/webm;codecs="vp8,opus"', "video/webm"],
    ["Video/WebM; codecs=vp9", "video/webm"],
    ["  audio/ogg  ", "audio/ogg"],
    ["application/pdf", "application/pdf"],
    ["video", null],
    ["", null],
    ["video/", null],
    ["/webm", null],
    ["video/web m", null],
  ])("the essence of %j is %j", (type, essence) => expect(mediaTypeEssence(type)).toBe(essence));

  it("accepts the MediaRecorder's type with codecs, refuses other types and garbage", () => {
    expect(mediaTypeAllowed("sale", 'video/webm;codecs="vp8,opus"')).toBe(true);
    expect(mediaTypeAllowed("sale", "video/quicktime")).toBe(false);
    expect(mediaTypeAllowed("sale", "")).toBe(false);
    expect(mediaTypeAllowed("nonsense" as RecordingKind, "video/webm")).toBe(false);
  });
});

describe("status transitions", () => {
  const EXPECTED: Record<RecordingStatus, Record<RecordingEvent, RecordingStatus | null>> = {
    draft: {
      uploadStarted: "draft",
      uploadCompleted: "draft",
      uploadTerminated: "draft",
      submit: "submitted",
      abort: "draft", // an aborted session's draft stays a draft: nothing is deleted
    },
    submitted: {
      uploadStarted: null,
      uploadCompleted: null,
      uploadTerminated: null,
      submit: null,
      abort: null,
    },
    // The retention sweep moves recordings to and from the bin; no recording event does.
    recycled: {
      uploadStarted: null,
      uploadCompleted: null,
      uploadTerminated: null,
      submit: null,
      abort: null,
    },
    purged: {
      uploadStarted: null,
      uploadCompleted: null,
      uploadTerminated: null,
      submit: null,
      abort: null,
    },
  };
  it.each(RECORDING_STATUSES.flatMap((s) => EVENTS.map((e) => [s, e, EXPECTED[s][e]] as const)))(
    "%s + %s → %s",
    (status, event, next) => expect(nextStatus(status, event)).toBe(next),
  );
  it("refuses unknown statuses and events (fail closed)", () => {
    expect(nextStatus("archived" as RecordingStatus, "submit")).toBeNull();
    expect(nextStatus("draft", "delete" as RecordingEvent)).toBeNull();
  });

  it.each([
    [null, null, "none"],
    [null, "2026-11-23T09:30:00.000Z", "none"],
    ["obj", null, "in-progress"],
    ["obj", "2026-11-23T09:30:00.000Z", "complete"],
    ["", "2026-11-23T09:30:00.000Z", "none"],
  ] as const)("an upload with object %j and uploadedAt %j is %s", (originalObject, uploadedAt, state) =>
    expect(uploadState({ originalObject, uploadedAt })).toBe(state),
  );
});

describe("listing", () => {
  const MODE: Record<Role, "subtree" | "own" | "none"> = {
    sales: "own",
    outlet_manager: "subtree",
    branch_admin: "subtree",
    hq_admin: "subtree",
    auditor: "subtree",
    system: "subtree",
  };
  it.each(ROLES.map((r) => [r, MODE[r]] as const))("%s lists %s", (role, mode) =>
    expect(listMode(role)).toBe(mode),
  );
  it("an unknown role lists nothing", () => expect(listMode("king" as Role)).toBe("none"));
});

describe("who reads a recording's metadata", () => {
  // recording.list holders within scope; sales only their own (creator), and still in scope.
  const cases: [Role, string, string, boolean | "ROLE" | "SCOPE"][] = [
    ["sales", PD, "sh.pd.sales1", true],
    ["sales", PD, "sh.pd.sales2", "ROLE"],
    ["sales", BJ_CY, "sh.pd.sales1", "ROLE"], // moved to another outlet: no longer theirs to read
    ["outlet_manager", PD, "x", true],
    ["outlet_manager", BJ_CY, "x", "SCOPE"],
    ["branch_admin", SH, "x", true],
    ["branch_admin", "000000/110000", "x", "SCOPE"],
    ["hq_admin", HQ, "x", true],
    ["auditor", HQ, "x", true],
    ["auditor", "000000/110000", "x", "SCOPE"],
    ["system", HQ, "x", true],
  ];
  it.each(cases)("%s at %s as %s → %s", (role, orgPath, username, expected) => {
    const d = decideRead(actor(role, orgPath, username), recording());
    if (expected === true) expect(d).toEqual({ allowed: true });
    else
      expect(d).toEqual({
        allowed: false,
        code: "HUB_FORBIDDEN",
        action: "recording.list",
        reason: expected,
      });
  });

  it("an outlet manager who recorded it reads it like any other in the outlet", () => {
    const r = recording({ createdBy: "sh.pd.manager" });
    expect(decideRead(actor("outlet_manager", PD, "sh.pd.manager"), r).allowed).toBe(true);
  });

  it("a creator with an empty name matches nobody", () => {
    expect(decideRead(actor("sales", PD, ""), recording({ createdBy: "" })).allowed).toBe(false);
  });
});

describe("who uploads", () => {
  const mine = actor("sales", PD, "sh.pd.sales1");
  it("the creator, on a draft", () => expect(decideUpload(mine, recording())).toEqual({ allowed: true }));
  it("also the creator of a draft whose upload is complete (re-record before submitting)", () =>
    expect(decideUpload(mine, recording({ uploadedAt: "2026-11-23T09:30:00.000Z" })).allowed).toBe(true));
  it("not another member of staff, even the outlet manager or head office", () => {
    for (const other of [
      actor("sales", PD, "sh.pd.sales2"),
      actor("outlet_manager", PD, "sh.pd.manager"),
      actor("hq_admin", HQ, "hq.admin"),
    ]) {
      expect(decideUpload(other, recording())).toMatchObject({
        allowed: false,
        code: "HUB_RECORDING_NOT_CREATOR",
      });
    }
  });
  it("not the creator once the recording is submitted", () =>
    expect(decideUpload(mine, recording({ status: "submitted" }))).toMatchObject({
      allowed: false,
      code: "HUB_RECORDING_NOT_DRAFT",
    }));
  it("not a creator who lost the permission or moved out of scope", () => {
    expect(decideUpload(actor("auditor", PD, "sh.pd.sales1"), recording())).toMatchObject({
      code: "HUB_FORBIDDEN",
      reason: "ROLE",
      action: "recording.upload",
    });
    expect(decideUpload(actor("sales", BJ_CY, "sh.pd.sales1"), recording())).toMatchObject({
      code: "HUB_FORBIDDEN",
      reason: "SCOPE",
    });
  });
  it("checks the creator before the status (another user's submitted recording is NOT_CREATOR)", () =>
    expect(decideUpload(actor("sales", PD, "x"), recording({ status: "submitted" }))).toMatchObject({
      code: "HUB_RECORDING_NOT_CREATOR",
    }));
});

describe("who submits", () => {
  const mine = actor("sales", PD, "sh.pd.sales1");
  it("the creator, on an uploaded draft", () =>
    expect(decideSubmit(mine, recording())).toEqual({ allowed: true }));
  it.each([
    [{ originalObject: null, uploadedAt: null }, "HUB_RECORDING_UPLOAD_INCOMPLETE"],
    [{ uploadedAt: null }, "HUB_RECORDING_UPLOAD_INCOMPLETE"],
    [{ status: "submitted" as const }, "HUB_RECORDING_NOT_DRAFT"],
    [{ status: "submitted" as const, uploadedAt: null }, "HUB_RECORDING_NOT_DRAFT"],
    [{ createdBy: "sh.pd.sales2" }, "HUB_RECORDING_NOT_CREATOR"],
  ])("refuses %j with %s", (overrides, code) =>
    expect(decideSubmit(mine, recording(overrides))).toMatchObject({ allowed: false, code }),
  );
  it("refuses a creator whose role no longer records", () =>
    expect(decideSubmit(actor("branch_admin", SH, "sh.pd.sales1"), recording())).toMatchObject({
      code: "HUB_FORBIDDEN",
      action: "recording.create",
      reason: "ROLE",
    }));
});

describe("who records an abort naming a draft", () => {
  const mine = actor("sales", PD, "sh.pd.sales1");
  it("the creator, on a draft, uploaded or not", () => {
    expect(decideAbort(mine, recording())).toEqual({ allowed: true });
    expect(decideAbort(mine, recording({ originalObject: null, uploadedAt: null }))).toEqual({
      allowed: true,
    });
    expect(decideAbort(mine, recording({ uploadedAt: null }))).toEqual({ allowed: true });
  });
  it("an outlet manager who created the draft", () =>
    expect(
      decideAbort(actor("outlet_manager", PD, "sh.pd.manager"), recording({ createdBy: "sh.pd.manager" })),
    ).toEqual({ allowed: true }));
  it("not another member of staff, even the outlet manager or head office", () => {
    for (const other of [
      actor("sales", PD, "sh.pd.sales2"),
      actor("outlet_manager", PD, "sh.pd.manager"),
      actor("hq_admin", HQ, "hq.admin"),
    ]) {
      expect(decideAbort(other, recording())).toMatchObject({
        allowed: false,
        code: "HUB_RECORDING_NOT_CREATOR",
      });
    }
  });
  it("not a submitted recording, and the creator is checked before the status", () => {
    expect(decideAbort(mine, recording({ status: "submitted" }))).toMatchObject({
      allowed: false,
      code: "HUB_RECORDING_NOT_DRAFT",
    });
    expect(decideAbort(actor("sales", PD, "x"), recording({ status: "submitted" }))).toMatchObject({
      code: "HUB_RECORDING_NOT_CREATOR",
    });
  });
  it("not a creator who no longer records or moved out of scope", () => {
    expect(decideAbort(actor("branch_admin", SH, "sh.pd.sales1"), recording())).toEqual({
      allowed: false,
      code: "HUB_FORBIDDEN",
      action: "recording.create",
      reason: "ROLE",
    });
    expect(decideAbort(actor("sales", BJ_CY, "sh.pd.sales1"), recording())).toMatchObject({
      code: "HUB_FORBIDDEN",
      reason: "SCOPE",
    });
  });
});

describe("who plays back", () => {
  const uploaded = recording();
  const withCanonical = recording({ canonicalObject: "obj2" });

  it.each(["original", "canonical"] as const)("sales staff never replay the %s, not even their own", (r) => {
    for (const status of RECORDING_STATUSES) {
      expect(
        decidePlay(actor("sales", PD, "sh.pd.sales1"), recording({ status, canonicalObject: "c" }), r),
      ).toMatchObject({
        allowed: false,
        code: "HUB_RECORDING_NO_REPLAY",
      });
    }
  });

  const cases: [Role, string, true | "ROLE" | "SCOPE"][] = [
    ["outlet_manager", PD, true],
    ["outlet_manager", BJ_CY, "SCOPE"],
    ["branch_admin", SH, true],
    ["branch_admin", "000000/110000", "SCOPE"],
    ["hq_admin", HQ, true],
    ["auditor", HQ, true],
    ["auditor", SH, true],
    ["auditor", "000000/110000", "SCOPE"],
    ["system", HQ, "ROLE"],
  ];
  it.each(cases)("%s at %s → %s", (role, orgPath, expected) => {
    const d = decidePlay(actor(role, orgPath), uploaded, "original");
    if (expected === true) expect(d).toEqual({ allowed: true });
    else
      expect(d).toEqual({
        allowed: false,
        code: "HUB_FORBIDDEN",
        action: "recording.play",
        reason: expected,
      });
  });

  it("needs the upload complete, then the canonical rendition made", () => {
    const manager = actor("outlet_manager", PD);
    expect(decidePlay(manager, recording({ uploadedAt: null }), "original")).toMatchObject({
      code: "HUB_RECORDING_UPLOAD_INCOMPLETE",
    });
    expect(
      decidePlay(manager, recording({ originalObject: null, uploadedAt: null }), "original"),
    ).toMatchObject({
      code: "HUB_RECORDING_UPLOAD_INCOMPLETE",
    });
    expect(decidePlay(manager, uploaded, "canonical")).toMatchObject({
      code: "HUB_RECORDING_RENDITION_NOT_FOUND",
    });
    expect(decidePlay(manager, withCanonical, "canonical")).toEqual({ allowed: true });
    expect(decidePlay(manager, withCanonical, "poster" as never)).toMatchObject({
      code: "HUB_RECORDING_RENDITION_NOT_FOUND",
    });
  });

  it.each([
    ["recycled", "HUB_RECORDING_RECYCLED"],
    ["purged", "HUB_RECORDING_PURGED"],
  ] as const)("never plays a %s recording back, even for head office (%s)", (status, code) => {
    for (const who of [actor("outlet_manager", PD), actor("hq_admin", HQ), actor("auditor", HQ)])
      expect(decidePlay(who, recording({ status, canonicalObject: "c" }), "original")).toMatchObject({
        code,
      });
  });

  it("plays a draft back too once uploaded (a manager checking before the teller submits)", () =>
    expect(decidePlay(actor("outlet_manager", PD), recording({ status: "draft" }), "original").allowed).toBe(
      true,
    ));
});

describe("who exports evidence", () => {
  const submitted = recording({ status: "submitted" });
  it.each([
    ["recycled", "HUB_RECORDING_RECYCLED"],
    ["purged", "HUB_RECORDING_PURGED"],
  ] as const)("exports no evidence of a %s recording (%s)", (status, code) =>
    expect(decideEvidence(actor("hq_admin", HQ), recording({ status }))).toMatchObject({ code }),
  );

  const cases: [Role, string, true | "ROLE" | "SCOPE"][] = [
    ["sales", PD, "ROLE"],
    ["outlet_manager", PD, "ROLE"],
    ["branch_admin", SH, true],
    ["branch_admin", "000000/110000", "SCOPE"],
    ["hq_admin", HQ, true],
    ["auditor", HQ, true],
    ["auditor", BJ_CY, "SCOPE"],
    ["system", HQ, "ROLE"],
  ];
  it.each(cases)("%s at %s → %s", (role, orgPath, expected) => {
    const d = decideEvidence(actor(role, orgPath), submitted);
    if (expected === true) expect(d).toEqual({ allowed: true });
    else
      expect(d).toEqual({
        allowed: false,
        code: "HUB_FORBIDDEN",
        action: "recording.exportEvidence",
        reason: expected,
      });
  });
  it("only of a submitted recording", () =>
    expect(decideEvidence(actor("auditor", HQ), recording({ status: "draft" }))).toMatchObject({
      code: "HUB_RECORDING_NOT_SUBMITTED",
    }));
});

describe("relatedTo", () => {
  const sale = { kind: "sale" as const, customerNo: "C1", productCode: "P1", orgPath: PD };
  const input = (kind: RecordingKind, relatedTo: string | null = "r1") => ({
    kind,
    customerNo: "C1",
    productCode: "P1",
    relatedTo,
  });

  it.each(KINDS)("is optional for a %s", (kind) =>
    expect(relatedToProblem(input(kind, null), PD, null)).toBeNull(),
  );

  it("is refused for a sale whatever it names", () =>
    expect(relatedToProblem(input("sale"), PD, sale)?.reason).toBe("NOT_FOR_SALE"));

  it.each(["supplement", "callback", "cctv", "scan"] as const)(
    "names a sale of the same customer and product for a %s",
    (kind) => {
      expect(relatedToProblem(input(kind), PD, sale)).toBeNull();
      expect(relatedToProblem(input(kind), SH, sale)).toBeNull();
      expect(relatedToProblem(input(kind), PD, null)?.reason).toBe("NOT_FOUND");
      expect(relatedToProblem(input(kind), BJ_CY, sale)?.reason).toBe("NOT_FOUND");
      expect(relatedToProblem(input(kind), PD, { ...sale, kind: "callback" })?.reason).toBe("NOT_A_SALE");
      expect(relatedToProblem(input(kind), PD, { ...sale, customerNo: "C2" })?.reason).toBe("OTHER_CUSTOMER");
      expect(relatedToProblem(input(kind), PD, { ...sale, productCode: "P2" })?.reason).toBe("OTHER_PRODUCT");
    },
  );

  it("says the same for a recording outside scope as for none, so existence does not leak", () =>
    expect(relatedToProblem(input("callback"), BJ_CY, sale)?.message).toBe(
      relatedToProblem(input("callback"), BJ_CY, null)?.message,
    ));
});

describe("timestamps", () => {
  it.each([
    ["2026-11-23T09:30:00Z", "2026-11-23T09:30:00.000Z"],
    ["2026-11-23T09:30:00.1Z", "2026-11-23T09:30:00.100Z"],
    ["2026-11-23T09:30:00.123456789Z", "2026-11-23T09:30:00.123Z"],
    ["2026-11-23T17:30:00+08:00", "2026-11-23T09:30:00.000Z"],
    ["2026-11-23T07:30:00+08:00", "2026-11-22T23:30:00.000Z"],
    ["2026-11-23T01:00:00-05:30", "2026-11-23T06:30:00.000Z"],
    ["2024-02-29T00:00:00Z", "2024-02-29T00:00:00.000Z"],
  ])("%s is %s", (input, utc) => expect(normalizeTimestamp(input)).toBe(utc));

  it.each([
    ["2026-11-23T09:30:00"], // no zone
    ["2026-11-23 09:30:00Z"],
    ["2026-02-30T00:00:00Z"],
    ["2025-02-29T00:00:00Z"],
    ["2026-13-01T00:00:00Z"],
    ["2026-00-10T00:00:00Z"],
    ["2026-11-23T24:00:00Z"],
    ["2026-11-23T23:60:00Z"],
    ["2026-11-23T23:59:60Z"],
    ["2026-11-23T09:30:00+24:00"],
    ["2026-11-23T09:30:00+08:60"],
    ["2026-11-23"],
    [""],
    [null],
    [1732354200000],
  ])("refuses %j", (input) => expect(normalizeTimestamp(input)).toBeNull());
});

describe("the submit body", () => {
  const good = {
    startedAt: "2026-11-23T09:30:00.000Z",
    endedAt: "2026-11-23T09:40:00.000Z",
    steps: [
      { code: "consent", at: 0 },
      { code: "staff-disclosure", at: 0 },
      { code: "risk-warning", at: 15_000 },
    ],
    watermark: { text: "浦东支行 sh.pd.sales1", position: "bottom-right", clock: "server" },
  };
  const problemsOf = (body: unknown) => {
    const r = checkSubmission(body);
    return r.ok ? [] : r.problems.map((p) => `${p.field}:${p.code}`);
  };

  it("gives a good body back normalised", () => {
    const r = checkSubmission({ ...good, startedAt: "2026-11-23T17:30:00+08:00" });
    expect(r).toEqual({ ok: true, value: { ...good, startedAt: "2026-11-23T09:30:00.000Z" } });
  });

  it("takes a recording of no length and no steps", () =>
    expect(problemsOf({ ...good, endedAt: good.startedAt, steps: [] })).toEqual([]));

  it("keeps only code and at of each step", () => {
    const r = checkSubmission({ ...good, steps: [{ code: "consent", at: 0, extra: 1 }] });
    expect(r.ok && r.value.steps).toEqual([{ code: "consent", at: 0 }]);
  });

  it.each([
    [{ endedAt: "2026-11-23T09:29:59.999Z" }, ["endedAt:beforeStart"]],
    [{ startedAt: "yesterday" }, ["startedAt:format"]],
    [{ endedAt: "2026-02-30T00:00:00Z" }, ["endedAt:format"]],
    [{ startedAt: undefined }, ["startedAt:required"]],
    [{ steps: undefined }, ["steps:required"]],
    [{ steps: "consent" }, ["steps:type"]],
    [{ steps: Array.from({ length: 501 }, (_, i) => ({ code: "s", at: i })) }, ["steps:maxItems"]],
    [{ steps: [{ code: "", at: 0 }] }, ["steps.0.code:required"]],
    [{ steps: [{ code: "   ", at: 0 }] }, ["steps.0.code:required"]],
    [{ steps: [{ at: 0 }] }, ["steps.0.code:required"]],
    [{ steps: [{ code: "x".repeat(65), at: 0 }] }, ["steps.0.code:maxLength"]],
    [{ steps: [{ code: "a", at: -1 }] }, ["steps.0.at:integer"]],
    [{ steps: [{ code: "a", at: 1.5 }] }, ["steps.0.at:integer"]],
    [{ steps: [{ code: "a", at: "10" }] }, ["steps.0.at:integer"]],
    [{ steps: [{ code: "a", at: Number.MAX_SAFE_INTEGER + 1 }] }, ["steps.0.at:integer"]],
    [{ steps: [{ code: "a" }] }, ["steps.0.at:integer"]],
    [{ steps: ["consent"] }, ["steps.0:type"]],
    [
      {
        steps: [
          { code: "a", at: 0 },
          { code: "b", at: 500 },
          { code: "c", at: 499 },
        ],
      },
      ["steps.2.at:order"],
    ],
    [{ watermark: undefined }, ["watermark:required"]],
    [{ watermark: "text" }, ["watermark:type"]],
    [{ watermark: [] }, ["watermark:type"]],
    [{ watermark: null }, ["watermark:type"]],
    [{ watermark: { n: Number.NaN } }, ["watermark:type"]],
  ])("refuses %j naming %j", (change, expected) =>
    expect(problemsOf({ ...good, ...change })).toEqual(expected),
  );

  it("reports every problem at once", () =>
    expect(
      problemsOf({
        startedAt: "2026-11-23T09:40:00Z",
        endedAt: "2026-11-23T09:30:00Z",
        steps: [
          { code: "", at: 5 },
          { code: "b", at: 4 },
        ],
        watermark: 1,
      }),
    ).toEqual(["endedAt:beforeStart", "steps.0.code:required", "steps.1.at:order", "watermark:type"]));

  it("compares order only against the last step with a usable time", () =>
    expect(
      problemsOf({
        ...good,
        steps: [
          { code: "a", at: 100 },
          { code: "b", at: -1 },
          { code: "c", at: 50 },
        ],
      }),
    ).toEqual(["steps.1.at:integer"]));

  it.each([[null], ["body"], [[]], [42]])("refuses a body that is not an object: %j", (body) =>
    expect(problemsOf(body)).toEqual([
      ":type",
      "startedAt:required",
      "endedAt:required",
      "steps:required",
      "watermark:required",
    ]),
  );
});

describe("the steps of a submit or an abort", () => {
  it("gives the steps back with only code and at, and names problems under the given field", () => {
    const problems: SubmitProblem[] = [];
    expect(
      checkSteps(
        [
          { code: "consent", at: 0, extra: 1 },
          { code: "risk-warning", at: 0 },
        ],
        "steps",
        problems,
      ),
    ).toEqual([
      { code: "consent", at: 0 },
      { code: "risk-warning", at: 0 },
    ]);
    expect(problems).toEqual([]);
    checkSteps(
      [
        { code: "a", at: 7 },
        { code: "b", at: 6 },
      ],
      "body.steps",
      problems,
    );
    expect(problems.map((p) => `${p.field}:${p.code}`)).toEqual(["body.steps.1.at:order"]);
  });
});

describe("the abort body", () => {
  const good = {
    kind: "sale",
    reason: { code: "HUB_RISK_MISMATCH", message: "产品风险等级高于客户风险承受能力" },
    customerNo: "C000000001",
    productCode: "FD000001",
    step: "product-match",
    steps: [
      { code: "consent", at: 0 },
      { code: "product-match", at: 42_000 },
    ],
    startedAt: "2026-11-23T17:30:00+08:00",
    recordingId: "a".repeat(32),
  };
  const problemsOf = (body: unknown) => {
    const r = checkAbort(body);
    return r.ok ? [] : r.problems.map((p) => `${p.field}:${p.code}`);
  };

  it("gives a good body back normalised", () =>
    expect(checkAbort(good)).toEqual({
      ok: true,
      value: { ...good, startedAt: "2026-11-23T09:30:00.000Z" },
    }));

  it("needs only the kind and the reason; the rest is null when absent", () =>
    expect(checkAbort({ kind: "callback", reason: { code: "consent-refused", message: "" } })).toEqual({
      ok: true,
      value: {
        kind: "callback",
        reason: { code: "consent-refused", message: "" },
        customerNo: null,
        productCode: null,
        step: null,
        steps: null,
        startedAt: null,
        recordingId: null,
      },
    }));

  it.each(["HUB_RISK_MISMATCH", "consent-refused", "staff-cancelled", "camera.failed", "x", "A".repeat(64)])(
    "takes the reason code %s",
    (code) => expect(problemsOf({ ...good, reason: { code, message: "" } })).toEqual([]),
  );

  it.each([
    [{ kind: undefined }, ["kind:required"]],
    [{ kind: "video" }, ["kind:enum"]],
    [{ reason: undefined }, ["reason:required"]],
    [{ reason: "consent refused" }, ["reason:type"]],
    [{ reason: { message: "no" } }, ["reason.code:pattern"]],
    [{ reason: { code: "", message: "" } }, ["reason.code:pattern"]],
    [{ reason: { code: "consent refused", message: "" } }, ["reason.code:pattern"]],
    [{ reason: { code: "拒绝", message: "" } }, ["reason.code:pattern"]],
    [{ reason: { code: "A".repeat(65), message: "" } }, ["reason.code:pattern"]],
    [{ reason: { code: "x" } }, ["reason.message:required"]],
    [{ reason: { code: "x", message: "m".repeat(501) } }, ["reason.message:maxLength"]],
    [{ customerNo: "C-1" }, ["customerNo:pattern"]],
    [{ productCode: "FD 1" }, ["productCode:pattern"]],
    [{ recordingId: "A".repeat(32) }, ["recordingId:pattern"]],
    [{ step: "" }, ["step:required"]],
    [{ step: "s".repeat(65) }, ["step:maxLength"]],
    [{ steps: "consent" }, ["steps:type"]],
    [{ steps: Array.from({ length: 501 }, (_, i) => ({ code: "s", at: i })) }, ["steps:maxItems"]],
    [
      {
        steps: [
          { code: "a", at: 10 },
          { code: "b", at: 9 },
        ],
      },
      ["steps.1.at:order"],
    ],
    [{ steps: [{ code: "a", at: -1 }] }, ["steps.0.at:integer"]],
    [{ startedAt: "2026-11-23T09:30:00" }, ["startedAt:format"]],
    [{ startedAt: "2026-02-30T00:00:00Z" }, ["startedAt:format"]],
  ])("refuses %j naming %j", (change, expected) =>
    expect(problemsOf({ ...good, ...change })).toEqual(expected),
  );

  it("takes 500 steps and a message of 500 characters", () =>
    expect(
      problemsOf({
        ...good,
        reason: { code: "x", message: "m".repeat(500) },
        steps: Array.from({ length: 500 }, (_, i) => ({ code: "s", at: i })),
      }),
    ).toEqual([]));

  it.each([[null], ["body"], [[]], [42]])("refuses a body that is not an object: %j", (body) =>
    expect(problemsOf(body)).toEqual([":type", "kind:required", "reason:required"]),
  );
});

describe("the manifest", () => {
  const source: ManifestSource = {
    id: "0123456789abcdef0123456789abcdef",
    kind: "sale",
    relatedTo: null,
    customerNo: "C000000001",
    productCode: "AM2026001",
    orgCode: "310100",
    createdBy: "sh.pd.sales1",
    createdAt: "2026-11-23T09:29:00.000Z",
    mediaType: "video/webm",
    sizeBytes: 123,
    sha256: HEX_A,
    objects: [{ name: "original", objectId: "o1", size: 456, sha256: HEX_B }],
    mediaStatus: "pending",
    mediaFacts: null,
    mediaError: null,
  };
  const submission: Submission = {
    startedAt: "2026-11-23T09:30:00.000Z",
    endedAt: "2026-11-23T09:40:00.000Z",
    steps: [{ code: "consent", at: 0 }],
    watermark: { text: "浦东支行" },
  };
  const at = "2026-11-23T09:41:00.000Z";

  it("has exactly the layout of docs/evidence-store.md", () => {
    expect(buildManifest(source, submission, at)).toEqual({
      version: 1,
      recordingId: source.id,
      kind: "sale",
      relatedTo: null,
      customerNo: "C000000001",
      productCode: "AM2026001",
      orgCode: "310100",
      createdBy: "sh.pd.sales1",
      createdAt: "2026-11-23T09:29:00.000Z",
      startedAt: "2026-11-23T09:30:00.000Z",
      endedAt: "2026-11-23T09:40:00.000Z",
      submittedAt: at,
      media: { type: "video/webm", size: 123, sha256: HEX_A },
      objects: [{ name: "original", objectId: "o1", size: 456, sha256: HEX_B }],
      steps: [{ code: "consent", at: 0 }],
      watermark: { text: "浦东支行" },
      mediaFacts: null,
      mediaError: null,
    });
  });

  it("takes media facts only when the worker is done, its error only when it failed", () => {
    const facts = { durationMs: 1000, streams: [], width: 1280, height: 720, fps: 25, audio: true };
    const withFacts = { ...source, mediaFacts: facts, mediaError: "stale" };
    expect(buildManifest({ ...withFacts, mediaStatus: "done" }, submission, at)).toMatchObject({
      mediaFacts: facts,
      mediaError: null,
    });
    expect(buildManifest({ ...withFacts, mediaStatus: "failed" }, submission, at)).toMatchObject({
      mediaFacts: null,
      mediaError: "stale",
    });
    for (const mediaStatus of ["none", "pending"] as const) {
      expect(buildManifest({ ...withFacts, mediaStatus }, submission, at)).toMatchObject({
        mediaFacts: null,
        mediaError: null,
      });
    }
  });

  it("lists renditions already made beside the original", () => {
    const objects = [...source.objects, { name: "canonical", objectId: "o2", size: 789, sha256: HEX_C }];
    expect(buildManifest({ ...source, objects }, submission, at).objects).toEqual(objects);
  });

  it.each([
    [{ mediaType: null }],
    [{ sizeBytes: null }],
    [{ sizeBytes: -1 }],
    [{ sha256: null }],
    [{ sha256: "A".repeat(64) }],
    [{ objects: [] }],
    [{ objects: [{ name: "canonical", objectId: "o2", size: 1, sha256: HEX_C }] }],
    [{ objects: [{ name: "original", objectId: "", size: 1, sha256: HEX_C }] }],
    [{ objects: [{ name: "original", objectId: "o1", size: 1.5, sha256: HEX_C }] }],
    [{ objects: [{ name: "original", objectId: "o1", size: 1, sha256: "x" }] }],
  ])("is never sealed with a hole: %j", (change) =>
    expect(() => buildManifest({ ...source, ...change } as ManifestSource, submission, at)).toThrow(
      RangeError,
    ),
  );

  it("wants submittedAt in the chain's own time format", () => {
    expect(() => buildManifest(source, submission, "2026-11-23T09:41:00Z")).toThrow(RangeError);
  });

  it("is stored as its canonical JSON, which the chain hashes", () => {
    const manifest = buildManifest(source, submission, at);
    const text = manifestText(manifest);
    expect(text).toBe(canonicalJson(JSON.parse(text)));
    expect(text.startsWith('{"createdAt":"2026-11-23T09:29:00.000Z","createdBy":"sh.pd.sales1"')).toBe(true);
    expect(JSON.parse(text)).toEqual(manifest);
  });
});

describe("list date bounds (Beijing business days)", () => {
  it.each([
    [undefined, undefined, null, null],
    ["2026-11-23", undefined, "2026-11-22T16:00:00.000Z", null],
    [undefined, "2026-11-23", null, "2026-11-23T15:59:59.999Z"],
    ["2026-11-23", "2026-11-23", "2026-11-22T16:00:00.000Z", "2026-11-23T15:59:59.999Z"],
    [
      "2026-11-23T01:02:03Z",
      "2026-11-23T04:05:06.7Z",
      "2026-11-23T01:02:03.000Z",
      "2026-11-23T04:05:06.700Z",
    ],
    ["2026-01-01", undefined, "2025-12-31T16:00:00.000Z", null],
  ])("from %j to %j → %j … %j", (from, to, lo, hi) =>
    expect(createdAtBounds(from, to)).toEqual({ from: lo, to: hi }),
  );

  it("takes another offset when asked (UTC)", () =>
    expect(createdAtBounds("2026-11-23", "2026-11-23", 0)).toEqual({
      from: "2026-11-23T00:00:00.000Z",
      to: "2026-11-23T23:59:59.999Z",
    }));

  it.each([["2026-02-30"], ["2026-11-23T25:00:00Z"], ["tomorrow"]])("refuses %j", (bad) => {
    expect(() => createdAtBounds(bad)).toThrow(RangeError);
    expect(() => createdAtBounds(undefined, bad)).toThrow(RangeError);
  });
});
