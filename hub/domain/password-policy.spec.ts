import {
  afterFailedLogin,
  afterSuccessfulLogin,
  characterClasses,
  isLocked,
  isPasswordExpired,
  nextHistory,
  passwordProblems,
  recentHashes,
} from "./password-policy";

const codes = (pw: string, user = "sh.pd.sales1") => passwordProblems(pw, user).map((p) => p.code);

describe("password strength", () => {
  it.each([
    ["Abcdef1!", []],
    ["abcdef12", ["TOO_FEW_CLASSES"]],
    ["ABCDEF1!", []],
    ["abcdefg!", ["TOO_FEW_CLASSES"]],
    ["Ab1!", ["TOO_SHORT"]],
    ["Abcdef1", ["TOO_SHORT"]],
    ["理财经理Ab1!", []],
    ["12345678", ["TOO_FEW_CLASSES"]],
    ["aB3" + "x".repeat(126), ["TOO_LONG"]],
  ])("%s → %j", (pw, expected) => {
    expect(codes(pw)).toEqual(expected);
  });

  it("refuses a password containing the username, whatever its case", () => {
    expect(codes("xxSH.PD.SALES1x9", "sh.pd.sales1")).toEqual(["CONTAINS_USERNAME"]);
  });

  it("counts character classes", () => {
    expect(characterClasses("abc")).toBe(1);
    expect(characterClasses("aB")).toBe(2);
    expect(characterClasses("aB1")).toBe(3);
    expect(characterClasses("aB1 ")).toBe(4);
    expect(characterClasses("中文")).toBe(1);
  });
});

describe("password history", () => {
  it("compares against the current and the 4 previous hashes: the last 5", () => {
    expect(recentHashes("h0", ["h1", "h2", "h3", "h4", "h5"])).toEqual(["h0", "h1", "h2", "h3", "h4"]);
  });
  it("keeps 4 previous hashes beside the current one", () => {
    expect(nextHistory("h0", ["h1", "h2", "h3", "h4"])).toEqual(["h0", "h1", "h2", "h3"]);
    expect(nextHistory("h0", [])).toEqual(["h0"]);
  });
});

describe("password expiry", () => {
  const changed = new Date("2026-01-01T00:00:00.000Z");
  it("expires exactly 90 days after the change", () => {
    expect(isPasswordExpired(changed, new Date("2026-03-31T23:59:59.999Z"), 90)).toBe(false);
    expect(isPasswordExpired(changed, new Date("2026-04-01T00:00:00.000Z"), 90)).toBe(true);
  });
});

describe("lockout", () => {
  const policy = { threshold: 5, minutes: 15 };
  const t0 = new Date("2026-11-23T09:00:00.000Z");

  it("locks on the fifth consecutive failure for 15 minutes", () => {
    let state = afterSuccessfulLogin();
    for (let i = 1; i <= 4; i++) {
      state = afterFailedLogin(state, t0, policy);
      expect(state).toEqual({ failedAttempts: i, lockedUntil: null });
    }
    state = afterFailedLogin(state, t0, policy);
    expect(state.lockedUntil).toEqual(new Date("2026-11-23T09:15:00.000Z"));
    expect(isLocked(state, new Date("2026-11-23T09:14:59.999Z"))).toBe(true);
    expect(isLocked(state, new Date("2026-11-23T09:15:00.000Z"))).toBe(false);
  });

  it("a success resets the count", () => {
    let state = afterFailedLogin(afterFailedLogin(afterSuccessfulLogin(), t0, policy), t0, policy);
    state = afterSuccessfulLogin();
    expect(state).toEqual({ failedAttempts: 0, lockedUntil: null });
  });

  it("a failure after the lock ran out starts a fresh count", () => {
    const locked = { failedAttempts: 5, lockedUntil: new Date("2026-11-23T09:15:00.000Z") };
    expect(afterFailedLogin(locked, new Date("2026-11-23T09:20:00.000Z"), policy)).toEqual({
      failedAttempts: 1,
      lockedUntil: null,
    });
  });
});
