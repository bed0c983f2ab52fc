import {
  RECYCLE_BIN_DAYS,
  RetentionLockedError,
  addDays,
  applyLockChange,
  destroyRefusal,
  isDay,
  parseLock,
  serializeLock,
  type LockChange,
  type LockRefusalReason,
  type RetentionLock,
} from "./retention-lock";

const REC = "0123456789abcdef0123456789abcdef";
const NOW = "2030-03-10T04:00:00.000Z";
const LATER = "2030-03-11T04:00:00.000Z";

function lock(fields: Partial<RetentionLock> = {}): RetentionLock {
  return {
    version: 1,
    recordingId: REC,
    retainUntil: "2030-01-31",
    holds: [],
    recycledOn: null,
    purgedOn: null,
    updatedAt: NOW,
    ...fields,
  };
}

function refusal(
  current: RetentionLock | null,
  change: LockChange,
  today: string,
): { reason: LockRefusalReason; message: string } {
  try {
    applyLockChange(current, REC, change, today, LATER);
  } catch (err) {
    expect(err).toBeInstanceOf(RetentionLockedError);
    const e = err as RetentionLockedError;
    expect(e.recordingId).toBe(REC);
    expect(e.message).toContain(e.detail);
    return { reason: e.reason, message: e.message };
  }
  throw new Error(`${change.kind} was not refused`);
}

describe("calendar days", () => {
  it.each([
    ["2030-01-31", 1, "2030-02-01"],
    ["2030-02-28", 1, "2030-03-01"],
    ["2028-02-28", 1, "2028-02-29"],
    ["2030-12-31", 1, "2031-01-01"],
    ["2030-03-01", -1, "2030-02-28"],
    ["2030-01-01", 30, "2030-01-31"],
    ["2030-02-01", 30, "2030-03-03"],
    ["2030-01-15", 0, "2030-01-15"],
    ["2029-12-15", 365, "2030-12-15"],
    ["0001-01-01", 1, "0001-01-02"],
  ])("%s + %d days = %s", (day, days, expected) => {
    expect(addDays(day, days)).toBe(expected);
  });

  it("refuses what is not a day or a whole number of days", () => {
    for (const bad of ["2030-02-29", "2030-13-01", "2030-1-5", "", "2030-01-01T00:00:00Z", "0000-01-01"]) {
      expect(isDay(bad)).toBe(false);
      expect(() => addDays(bad, 1)).toThrow(RangeError);
    }
    expect(isDay("2028-02-29")).toBe(true);
    expect(isDay(20300101)).toBe(false);
    expect(() => addDays("2030-01-01", 1.5)).toThrow(RangeError);
    expect(() => addDays("9999-12-31", 1)).toThrow(RangeError);
  });
});

describe("destroyRefusal", () => {
  const destroyable = lock({ retainUntil: "2030-01-31", recycledOn: "2030-02-01" });
  // Recycled on 2030-02-01: in the bin 30 days, through 2030-03-03; destroyable from 2030-03-04.
  it("allows only a lock past its retention, without holds, in the bin for more than 30 days", () => {
    expect(RECYCLE_BIN_DAYS).toBe(30);
    expect(destroyRefusal(destroyable, "2030-03-04")).toBeNull();
    expect(destroyRefusal(destroyable, "2031-01-01")).toBeNull();
  });

  it.each<[string, RetentionLock | null, string, LockRefusalReason, string]>([
    ["no lock", null, "2040-01-01", "NO_LOCK", "no retention lock"],
    ["no end", lock({ retainUntil: null }), "2040-01-01", "NO_END", "no retention end"],
    ["retained", lock({ retainUntil: "2030-06-30" }), "2030-03-10", "RETAINED", "2030-06-30"],
    ["on its last day", lock({ retainUntil: "2030-03-10" }), "2030-03-10", "RETAINED", "2030-03-10"],
    [
      "held after its retention, in the bin long ago",
      lock({ holds: ["D-1", "D-2"], recycledOn: "2030-02-01" }),
      "2031-01-01",
      "HELD",
      "D-1, D-2",
    ],
    ["not recycled", lock(), "2031-01-01", "NOT_RECYCLED", "not in the recycle bin"],
    [
      "recycled before its retention ended (a hand-written lock)",
      lock({ retainUntil: "2030-01-31", recycledOn: "2030-01-31" }),
      "2031-01-01",
      "NOT_RECYCLED",
      "before its retention ended on 2030-01-31",
    ],
    ["in the bin 1 day", destroyable, "2030-02-02", "IN_BIN", "2030-03-03"],
    ["in the bin 29 days", destroyable, "2030-03-02", "IN_BIN", "since 2030-02-01"],
    ["in the bin 30 days", destroyable, "2030-03-03", "IN_BIN", "destroyable after 2030-03-03"],
  ])("refuses: %s", (_name, current, today, reason, detail) => {
    const refused = destroyRefusal(current, today);
    expect(refused?.reason).toBe(reason);
    expect(refused?.detail).toContain(detail);
  });

  it("holds are checked before everything else but the lock's existence", () => {
    expect(destroyRefusal(lock({ retainUntil: null, holds: ["D"] }), "2040-01-01")?.reason).toBe("HELD");
    expect(destroyRefusal(lock({ retainUntil: "2050-01-01", holds: ["D"] }), "2040-01-01")?.reason).toBe(
      "HELD",
    );
  });

  it("allows destroying a purged recording again (nothing changes a purged lock)", () => {
    const purged = { ...destroyable, purgedOn: "2030-03-05" };
    expect(destroyRefusal(purged, "2030-03-05")).toBeNull();
    expect(destroyRefusal(purged, "2035-01-01")).toBeNull();
  });

  it("refuses an invalid day", () => {
    expect(() => destroyRefusal(destroyable, "2030-3-4")).toThrow(RangeError);
  });
});

describe("applyLockChange", () => {
  describe("retain", () => {
    it("creates the lock", () => {
      expect(
        applyLockChange(null, REC, { kind: "retain", retainUntil: "2035-06-30" }, "2030-03-10", NOW),
      ).toEqual({
        version: 1,
        recordingId: REC,
        retainUntil: "2035-06-30",
        holds: [],
        recycledOn: null,
        purgedOn: null,
        updatedAt: NOW,
      });
      expect(
        applyLockChange(null, REC, { kind: "retain", retainUntil: null }, "2030-03-10", NOW).retainUntil,
      ).toBeNull();
    });

    it("raises always, even while held, and to no end", () => {
      const held = lock({ retainUntil: "2031-01-01", holds: ["D"] });
      expect(
        applyLockChange(held, REC, { kind: "retain", retainUntil: "2032-01-01" }, "2030-03-10", LATER),
      ).toEqual({ ...held, retainUntil: "2032-01-01", updatedAt: LATER });
      expect(
        applyLockChange(held, REC, { kind: "retain", retainUntil: null }, "2030-03-10", LATER).retainUntil,
      ).toBeNull();
    });

    it("lowers without holds, to a past day too, without changing the input", () => {
      const current = lock({ retainUntil: "2035-01-01" });
      const copy = structuredClone(current);
      const next = applyLockChange(
        current,
        REC,
        { kind: "retain", retainUntil: "2029-01-01" },
        "2030-03-10",
        LATER,
      );
      expect(next).toMatchObject({ retainUntil: "2029-01-01", updatedAt: LATER });
      expect(current).toEqual(copy);
      // From no end to a day is lowering too.
      expect(
        applyLockChange(
          lock({ retainUntil: null }),
          REC,
          { kind: "retain", retainUntil: "2031-01-01" },
          "2030-03-10",
          LATER,
        ).retainUntil,
      ).toBe("2031-01-01");
    });

    it("refuses to lower while held (SHORTENS_HELD), naming both dates", () => {
      const held = lock({ retainUntil: "2035-01-01", holds: ["D-7"] });
      const refused = refusal(held, { kind: "retain", retainUntil: "2034-12-31" }, "2030-03-10");
      expect(refused.reason).toBe("SHORTENS_HELD");
      expect(refused.message).toContain("2035-01-01");
      expect(refused.message).toContain("2034-12-31");
      expect(refused.message).toContain("D-7");
      expect(
        refusal(
          lock({ retainUntil: null, holds: ["D"] }),
          { kind: "retain", retainUntil: "2099-01-01" },
          "2030-03-10",
        ).reason,
      ).toBe("SHORTENS_HELD");
    });

    it("the same date changes nothing", () => {
      const current = lock({ retainUntil: "2035-01-01" });
      expect(
        applyLockChange(current, REC, { kind: "retain", retainUntil: "2035-01-01" }, "2030-03-10", LATER),
      ).toBe(current);
    });

    it("a date not yet passed when it was recycled takes it out of the bin", () => {
      const recycled = lock({ retainUntil: "2030-01-31", recycledOn: "2030-02-10" });
      for (const to of ["2030-02-10", "2030-12-31", null]) {
        expect(
          applyLockChange(recycled, REC, { kind: "retain", retainUntil: to }, "2030-03-10", LATER).recycledOn,
        ).toBeNull();
      }
      expect(
        applyLockChange(recycled, REC, { kind: "retain", retainUntil: "2030-02-09" }, "2030-03-10", LATER)
          .recycledOn,
      ).toBe("2030-02-10");
      expect(
        applyLockChange(recycled, REC, { kind: "retain", retainUntil: "2029-01-01" }, "2030-03-10", LATER)
          .recycledOn,
      ).toBe("2030-02-10");
    });

    it("refuses any new date once purged", () => {
      const purged = lock({ recycledOn: "2030-02-01", purgedOn: "2030-03-05" });
      expect(refusal(purged, { kind: "retain", retainUntil: "2029-01-01" }, "2030-03-10").reason).toBe(
        "PURGED",
      );
      expect(refusal(purged, { kind: "retain", retainUntil: "2040-01-01" }, "2030-03-10").reason).toBe(
        "PURGED",
      );
      expect(refusal(purged, { kind: "retain", retainUntil: null }, "2030-03-10").message).toContain(
        "2030-03-05",
      );
      expect(
        applyLockChange(purged, REC, { kind: "retain", retainUntil: "2030-01-31" }, "2030-03-10", LATER),
      ).toBe(purged);
    });

    it("refuses a date that is not a calendar day", () => {
      expect(() =>
        applyLockChange(null, REC, { kind: "retain", retainUntil: "2030-02-30" }, "2030-03-10", NOW),
      ).toThrow(RangeError);
    });
  });

  describe("hold and release", () => {
    it("creates a lock with no end when none exists", () => {
      expect(applyLockChange(null, REC, { kind: "hold", disputeId: "D-1" }, "2030-03-10", NOW)).toMatchObject(
        {
          retainUntil: null,
          holds: ["D-1"],
        },
      );
    });

    it("keeps holds sorted and unique; a hold already there changes nothing", () => {
      let current = lock();
      for (const id of ["D-3", "D-1", "D-2"]) {
        current = applyLockChange(current, REC, { kind: "hold", disputeId: id }, "2030-03-10", LATER);
      }
      expect(current.holds).toEqual(["D-1", "D-2", "D-3"]);
      expect(applyLockChange(current, REC, { kind: "hold", disputeId: "D-2" }, "2030-03-10", LATER)).toBe(
        current,
      );
    });

    it("takes a recycled recording out of the bin", () => {
      const recycled = lock({ recycledOn: "2030-02-01" });
      expect(
        applyLockChange(recycled, REC, { kind: "hold", disputeId: "D" }, "2030-03-10", LATER),
      ).toMatchObject({
        holds: ["D"],
        recycledOn: null,
      });
    });

    it("releases one hold; an unknown one changes nothing", () => {
      const held = lock({ holds: ["A", "B"] });
      expect(
        applyLockChange(held, REC, { kind: "release", disputeId: "A" }, "2030-03-10", LATER).holds,
      ).toEqual(["B"]);
      expect(applyLockChange(held, REC, { kind: "release", disputeId: "C" }, "2030-03-10", LATER)).toBe(held);
    });

    it("refuses a release without a lock, a hold on a purged lock, and empty dispute ids", () => {
      expect(refusal(null, { kind: "release", disputeId: "D" }, "2030-03-10").reason).toBe("NO_LOCK");
      expect(
        refusal(
          lock({ recycledOn: "2030-02-01", purgedOn: "2030-03-05" }),
          { kind: "hold", disputeId: "D" },
          "2030-03-10",
        ).reason,
      ).toBe("PURGED");
      expect(() => applyLockChange(null, REC, { kind: "hold", disputeId: " " }, "2030-03-10", NOW)).toThrow(
        RangeError,
      );
    });
  });

  describe("recycle and restore", () => {
    it("recycles the day after retainUntil, once; again keeps the first day", () => {
      const current = lock({ retainUntil: "2030-03-09" });
      const recycled = applyLockChange(current, REC, { kind: "recycle" }, "2030-03-10", LATER);
      expect(recycled).toMatchObject({ recycledOn: "2030-03-10", updatedAt: LATER });
      expect(applyLockChange(recycled, REC, { kind: "recycle" }, "2030-04-01", LATER)).toBe(recycled);
    });

    it.each<[string, RetentionLock | null, string, LockRefusalReason]>([
      ["without a lock", null, "2040-01-01", "NO_LOCK"],
      ["held", lock({ holds: ["D"] }), "2040-01-01", "HELD"],
      ["with no end", lock({ retainUntil: null }), "2040-01-01", "NO_END"],
      ["on its last day", lock({ retainUntil: "2030-03-10" }), "2030-03-10", "RETAINED"],
      ["before its last day", lock({ retainUntil: "2031-01-01" }), "2030-03-10", "RETAINED"],
    ])("refuses to recycle %s", (_name, current, today, reason) => {
      expect(refusal(current, { kind: "recycle" }, today).reason).toBe(reason);
    });

    it("restores from the bin; not in the bin changes nothing; refused once purged or without a lock", () => {
      const recycled = lock({ recycledOn: "2030-02-01" });
      expect(applyLockChange(recycled, REC, { kind: "restore" }, "2030-03-10", LATER).recycledOn).toBeNull();
      const kept = lock();
      expect(applyLockChange(kept, REC, { kind: "restore" }, "2030-03-10", LATER)).toBe(kept);
      expect(refusal({ ...recycled, purgedOn: "2030-03-05" }, { kind: "restore" }, "2030-03-10").reason).toBe(
        "PURGED",
      );
      expect(refusal(null, { kind: "restore" }, "2030-03-10").reason).toBe("NO_LOCK");
    });
  });

  describe("purge", () => {
    const recycled = lock({ retainUntil: "2030-01-31", recycledOn: "2030-02-01" });

    it("marks purgedOn only when destruction is allowed; again keeps the first day", () => {
      const purged = applyLockChange(recycled, REC, { kind: "purge" }, "2030-03-04", LATER);
      expect(purged).toMatchObject({ purgedOn: "2030-03-04", updatedAt: LATER, recycledOn: "2030-02-01" });
      expect(applyLockChange(purged, REC, { kind: "purge" }, "2030-05-01", NOW)).toBe(purged);
    });

    it.each<[string, RetentionLock | null, string, LockRefusalReason]>([
      ["without a lock", null, "2040-01-01", "NO_LOCK"],
      ["in the bin 30 days", recycled, "2030-03-03", "IN_BIN"],
      ["not recycled", lock(), "2040-01-01", "NOT_RECYCLED"],
      ["held", { ...recycled, holds: ["D"] }, "2040-01-01", "HELD"],
      ["retained", lock({ retainUntil: "2050-01-01" }), "2040-01-01", "RETAINED"],
      ["with no end", lock({ retainUntil: null }), "2040-01-01", "NO_END"],
    ])("refuses %s", (_name, current, today, reason) => {
      expect(refusal(current, { kind: "purge" }, today).reason).toBe(reason);
    });
  });

  it("refuses a lock of another recording, an invalid day or instant, and an unknown change", () => {
    const other = lock({ recordingId: "f".repeat(32) });
    expect(refusal(other, { kind: "hold", disputeId: "D" }, "2030-03-10").reason).toBe("OTHER_RECORDING");
    expect(() => applyLockChange(null, REC, { kind: "hold", disputeId: "D" }, "10/03/2030", NOW)).toThrow(
      RangeError,
    );
    expect(() => applyLockChange(null, REC, { kind: "hold", disputeId: "D" }, "2030-03-10", "soon")).toThrow(
      RangeError,
    );
    expect(() =>
      applyLockChange(lock(), REC, { kind: "shred" } as unknown as LockChange, "2030-03-10", NOW),
    ).toThrow(TypeError);
  });

  it("walks a recording's whole life", () => {
    const at = (current: RetentionLock | null, change: LockChange, today: string) =>
      applyLockChange(current, REC, change, today, `${today}T04:00:00.000Z`);
    let l = at(null, { kind: "retain", retainUntil: "2030-01-31" }, "2025-01-01");
    l = at(l, { kind: "hold", disputeId: "C-1" }, "2029-06-01");
    expect(refusal(l, { kind: "recycle" }, "2030-02-01").reason).toBe("HELD");
    l = at(l, { kind: "release", disputeId: "C-1" }, "2030-02-10");
    l = at(l, { kind: "retain", retainUntil: "2032-02-10" }, "2030-02-10"); // dispute closed + 2 years
    expect(refusal(l, { kind: "recycle" }, "2032-02-10").reason).toBe("RETAINED");
    l = at(l, { kind: "recycle" }, "2032-02-11");
    l = at(l, { kind: "restore" }, "2032-02-20");
    l = at(l, { kind: "recycle" }, "2032-02-21");
    expect(destroyRefusal(l, "2032-03-22")?.reason).toBe("IN_BIN");
    expect(destroyRefusal(l, "2032-03-23")).toBeNull();
    l = at(l, { kind: "purge" }, "2032-03-23");
    expect(l).toEqual({
      version: 1,
      recordingId: REC,
      retainUntil: "2032-02-10",
      holds: [],
      recycledOn: "2032-02-21",
      purgedOn: "2032-03-23",
      updatedAt: "2032-03-23T04:00:00.000Z",
    });
  });
});

describe("stored form", () => {
  it("round-trips", () => {
    const current = lock({ holds: ["A", "B"], recycledOn: "2030-02-01" });
    expect(parseLock(serializeLock(current), REC)).toEqual(current);
  });

  it.each<[string, string]>([
    ["not JSON", "{"],
    ["not an object", "[]"],
    ["another version", JSON.stringify({ ...lock(), version: 2 })],
    ["another recording", JSON.stringify(lock({ recordingId: "f".repeat(32) }))],
    ["a bad day", JSON.stringify({ ...lock(), retainUntil: "2030-02-30" })],
    ["unsorted holds", JSON.stringify(lock({ holds: ["B", "A"] }))],
    ["duplicate holds", JSON.stringify(lock({ holds: ["A", "A"] }))],
    ["no updatedAt", JSON.stringify({ ...lock(), updatedAt: undefined })],
  ])("refuses a damaged lock: %s", (_name, text) => {
    expect(() => parseLock(Buffer.from(text), REC)).toThrow(REC);
  });
});
