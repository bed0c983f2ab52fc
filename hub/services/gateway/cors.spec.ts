import type { IncomingMessage, ServerResponse } from "node:http";
import { corsMiddleware } from "./cors";

function run(origins: string[], method: string, headers: Record<string, string>) {
  const set: Record<string, string> = {};
  let status: number | null = null;
  let ended = false;
  let passed = false;
  const res = {
    setHeader: (k: string, v: string) => (set[k.toLowerCase()] = v),
    writeHead: (s: number, h: Record<string, string>) => {
      status = s;
      for (const [k, v] of Object.entries(h)) set[k.toLowerCase()] = v;
    },
    end: () => (ended = true),
  } as unknown as ServerResponse;
  corsMiddleware(origins)({ method, headers } as IncomingMessage, res, () => (passed = true));
  return { set, status, ended, passed };
}

const TELLER = "https://teller.bank.example";

describe("CORS for host pages on other servers", () => {
  it("answers a listed origin's preflight itself, with tus's headers", () => {
    const r = run([TELLER], "OPTIONS", { origin: TELLER, "access-control-request-method": "PATCH" });
    expect(r).toMatchObject({ status: 204, ended: true, passed: false });
    expect(r.set["access-control-allow-origin"]).toBe(TELLER);
    expect(r.set["access-control-allow-methods"]).toContain("PATCH");
    expect(r.set["access-control-allow-headers"]).toMatch(/Authorization.*Upload-Offset/);
    expect(r.set["vary"]).toBe("Origin");
  });

  it("lets a listed origin's requests through with the headers it may read", () => {
    const r = run([TELLER], "POST", { origin: TELLER });
    expect(r).toMatchObject({ status: null, ended: false, passed: true });
    expect(r.set["access-control-allow-origin"]).toBe(TELLER);
    expect(r.set["access-control-expose-headers"]).toMatch(/Location.*Upload-Offset/);
  });

  it.each([
    ["another origin", { origin: "https://evil.example" }],
    ["a same-origin request (no Origin)", {}],
    [
      "a tus OPTIONS without a preflight",
      { origin: "https://evil.example", "access-control-request-method": "" },
    ],
  ])("adds nothing for %s", (_name, headers) => {
    const r = run([TELLER], "OPTIONS", headers as Record<string, string>);
    expect(r).toMatchObject({ status: null, ended: false, passed: true, set: {} });
  });

  it("adds nothing at all when no origin is configured (the default)", () => {
    const r = run([], "OPTIONS", { origin: TELLER, "access-control-request-method": "POST" });
    expect(r).toMatchObject({ passed: true, set: {} });
  });
});
