import { Errors } from "moleculer";
import { HubError } from "../../errors/hub-error";
import { SoapAuthenticator } from "./soap-auth";
import { PASSWORD_DIGEST, PASSWORD_TEXT } from "./soap-xml";

const NOW = new Date("2026-11-23T02:00:00.000Z");
const EXP = NOW.getTime() / 1000 + 3600;

/** access.login and access.authenticate as the access service answers them, counting calls. */
function fakeAccess(password = "Right-Pass-1") {
  const calls: string[] = [];
  const revoked = new Set<string>();
  let n = 0;
  const state = { mustChangePassword: false, crossBus: false };
  const call = async <T>(action: string, params: any): Promise<T> => {
    calls.push(action);
    if (action === "access.login") {
      if (params.password !== password) {
        // Across the bus a HubError arrives as a plain MoleculerError carrying its type.
        if (state.crossBus) throw new Errors.MoleculerError("Wrong", 401, "HUB_AUTH_INVALID_CREDENTIALS");
        throw new HubError("HUB_AUTH_INVALID_CREDENTIALS");
      }
      return { token: `t${++n}`, user: { mustChangePassword: state.mustChangePassword } } as T;
    }
    if (revoked.has(params.token)) throw new Errors.MoleculerError("revoked", 401, "HUB_AUTH_TOKEN_REVOKED");
    return {
      username: params.token === "none" ? "" : "sys.counter",
      role: "system",
      orgCode: "000000",
      orgPath: "000000",
      mustChangePassword: false,
      sessionId: params.token,
      exp: EXP,
    } as T;
  };
  return { call, calls, revoked, state };
}

const text = (password: string) => ({ username: "sys.counter", password, passwordType: PASSWORD_TEXT });

async function code(work: Promise<unknown>): Promise<string> {
  try {
    await work;
  } catch (err) {
    return (err as { type: string }).type;
  }
  return "none";
}

describe("SoapAuthenticator", () => {
  it("logs in once, then checks the kept token on every call", async () => {
    const access = fakeAccess();
    const auth = new SoapAuthenticator(access.call, () => NOW);
    const actor = await auth.authenticate(text("Right-Pass-1"), "10.0.0.1");
    expect(actor).toEqual({
      username: "sys.counter",
      role: "system",
      orgCode: "000000",
      orgPath: "000000",
      mustChangePassword: false,
      sessionId: "t1",
    });
    await auth.authenticate(text("Right-Pass-1"), null);
    expect(access.calls).toEqual(["access.login", "access.authenticate", "access.authenticate"]);
  });

  it("sends every wrong password to access.login (it counts towards the lockout)", async () => {
    const access = fakeAccess();
    const auth = new SoapAuthenticator(access.call, () => NOW);
    await auth.authenticate(text("Right-Pass-1"), null);
    for (let i = 0; i < 3; i++)
      expect(await code(auth.authenticate(text("Wrong"), null))).toBe("HUB_AUTH_FAILED");
    expect(access.calls.filter((c) => c === "access.login")).toHaveLength(4);
  });

  it("maps a wrong password that crossed the bus to HUB_AUTH_FAILED too", async () => {
    const access = fakeAccess();
    access.state.crossBus = true;
    const auth = new SoapAuthenticator(access.call, () => NOW);
    expect(await code(auth.authenticate(text("Wrong"), null))).toBe("HUB_AUTH_FAILED");
  });

  it("logs in again when the kept token was revoked (password changed, user disabled, logout)", async () => {
    const access = fakeAccess();
    const auth = new SoapAuthenticator(access.call, () => NOW);
    await auth.authenticate(text("Right-Pass-1"), null);
    access.revoked.add("t1");
    expect((await auth.authenticate(text("Right-Pass-1"), null)).sessionId).toBe("t2");
  });

  it("logs in once for many calls arriving together", async () => {
    const access = fakeAccess();
    const auth = new SoapAuthenticator(access.call, () => NOW);
    await Promise.all(Array.from({ length: 20 }, () => auth.authenticate(text("Right-Pass-1"), null)));
    expect(access.calls.filter((c) => c === "access.login")).toHaveLength(1);
  });

  it("refuses a user who must change the password first", async () => {
    const access = fakeAccess();
    access.state.mustChangePassword = true;
    const auth = new SoapAuthenticator(access.call, () => NOW);
    expect(await code(auth.authenticate(text("Right-Pass-1"), null))).toBe(
      "HUB_AUTH_PASSWORD_CHANGE_REQUIRED",
    );
  });

  it("re-checks the token's expiry against its own clock", async () => {
    const access = fakeAccess();
    let now = NOW;
    const auth = new SoapAuthenticator(access.call, () => now);
    await auth.authenticate(text("Right-Pass-1"), null);
    now = new Date(EXP * 1000 + 1);
    // The kept token is stale; a fresh login gives one that the fake dates the same, so it is refused as expired.
    expect(await code(auth.authenticate(text("Right-Pass-1"), null))).toBe("HUB_AUTH_TOKEN_EXPIRED");
    expect(access.calls.filter((c) => c === "access.login")).toHaveLength(2);
  });

  it.each([
    ["no token", null, /UsernameToken/],
    ["PasswordDigest", { ...text("x"), passwordType: PASSWORD_DIGEST }, /PasswordText/],
    ["an unknown password type", { ...text("x"), passwordType: "urn:other" }, /unknown password type/],
  ])("refuses %s without calling access", async (_name, token, message) => {
    const access = fakeAccess();
    const auth = new SoapAuthenticator(access.call, () => NOW);
    await expect(auth.authenticate(token, null)).rejects.toMatchObject({ type: "HUB_AUTH_FAILED", message });
    expect(access.calls).toEqual([]);
  });
});
