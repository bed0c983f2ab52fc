import Ajv from "ajv";
import { AuditEntryEntity, UserEntity } from "../../hub/db/entities";
import { main as cli } from "../../hub/cli";
import { REST_ROUTES } from "../../hub/services/gateway/routes";
import { describeImports } from "./imports.suite";
import { describeRecordings } from "./recordings.suite";
import { describeRetention } from "./retention.suite";
import { withEnv } from "../support/env";
import { describeUploads } from "./uploads.suite";
import { DEMO_USERS } from "../../hub/demo/seed";
import {
  DEMO_PASSWORD,
  startHarness,
  topologyAvailable,
  type Harness,
  type Topology,
} from "../support/hub-harness";

const MINUTE = 60_000;

function expectError(res: { status: number; body: any; text: string }, status: number, code: string) {
  expect({ status: res.status, code: res.body?.error?.code }).toEqual({ status, code });
  expect(typeof res.body.error.message).toBe("string");
  // Never a stack trace or an internal path to a client.
  expect(res.text).not.toMatch(/\n\s+at |node_modules|\.ts:\d+/);
}

/** The hub's behaviour through its HTTP face; identical whatever the topology behind it. */
export function describeHubSuite(topology: Topology): void {
  const describeIf = topologyAvailable(topology) ? describe : describe.skip;

  describeIf(`hub (${topology})`, () => {
    let h: Harness;
    const tokens: Record<string, string> = {};
    const token = async (username: string) => (tokens[username] ??= await h.login(username));

    beforeAll(async () => {
      h = await startHarness(topology);
    });
    afterAll(async () => {
      await h?.stop();
    });
    afterEach(() => h.clock.reset());

    /** A fresh sales user at 310100, created by hq.admin, with a known password already changed. */
    async function freshUser(username: string, password = "Fresh-Pass-1!") {
      const created = await h.api("POST", "/api/v1/users", {
        token: await token("hq.admin"),
        body: { username, displayName: "测试用户", role: "sales", orgCode: "310100", password },
      });
      expect(created.status).toBe(201);
      return password;
    }

    describe("health, OpenAPI, metrics and static files", () => {
      it("is live and ready: database reachable, migrations applied, services available", async () => {
        expect((await h.api("GET", "/health/live")).status).toBe(200);
        const ready = await h.api("GET", "/health/ready");
        expect(ready.status).toBe(200);
        expect(ready.body).toEqual({
          status: "ready",
          checks: {
            access: "ok",
            org: "ok",
            audit: "ok",
            catalog: "ok",
            "risk-lookup": "ok",
            imports: "ok",
            recordings: "ok",
            retention: "ok",
            "legacy-face": "ok",
          },
        });
      });

      it("publishes an OpenAPI 3 document built from the schemas that validate requests", async () => {
        const res = await h.api("GET", "/api/v1/openapi.json");
        expect(res.status).toBe(200);
        expect(res.body.openapi).toMatch(/^3\./);
        for (const route of REST_ROUTES) {
          expect(res.body.paths[`/api/v1${route.path}`]?.[route.method.toLowerCase()]).toBeDefined();
        }
        // The published login schema, compiled on its own, refuses what the gateway refuses.
        const components = res.body.components.schemas;
        const ajv = new Ajv({ strict: false });
        for (const [name, schema] of Object.entries(components))
          ajv.addSchema(schema as object, `#/components/schemas/${name}`);
        const login = ajv.compile({ $ref: "#/components/schemas/auth-login" });
        expect(login({ username: "a", password: "b" })).toBe(true);
        expect(login({ username: "a" })).toBe(false);
        expect(login({ username: "a", password: "b", extra: 1 })).toBe(false);
        const refused = await h.api("POST", "/api/v1/auth/login", { body: { username: "a" } });
        expectError(refused, 422, "HUB_VALIDATION_FAILED");
      });

      it("serves Prometheus metrics, the landing page and demo files", async () => {
        await h.api("GET", "/health/ready");
        await h.login("sh.pd.sales1");
        const metrics = await h.api("GET", "/metrics");
        expect(metrics.status).toBe(200);
        expect(metrics.headers.get("content-type")).toMatch(/^text\/plain/);
        expect(metrics.text).toMatch(/^# TYPE hub_http_requests_total counter$/m);
        expect(metrics.text).toMatch(
          /^hub_http_requests_total\{node="[^"]+",method="GET",route="GET \/health\/ready",status="200"\} [1-9]/m,
        );
        expect(metrics.text).toMatch(/^hub_audit_entries_total\{node="[^"]+"\} [1-9]/m);
        expect(metrics.text).toMatch(/^hub_logins_total\{node="[^"]+",result="ok"\} [1-9]/m);
        // Every node reports, the back end of a cluster included.
        const nodes = new Set(
          [...metrics.text.matchAll(/^process_uptime_seconds\{node="([^"]+)"\}/gm)].map((m) => m[1]),
        );
        expect(nodes.size).toBe(h.hubs.length);
        const landing = await h.api("GET", "/");
        expect(landing.status).toBe(200);
        expect(landing.text).toContain("双录中台");
        expect((await h.api("GET", "/demo/index.html")).status).toBe(200);
      });
    });

    describe("logins and tokens", () => {
      it("lets every demo user log in and tells who they are", async () => {
        for (const user of DEMO_USERS) {
          const res = await h.api("POST", "/api/v1/auth/login", {
            body: { username: user.username, password: DEMO_PASSWORD },
          });
          expect(res.status).toBe(200);
          expect(res.body.user).toEqual({
            username: user.username,
            role: user.role,
            orgCode: user.orgCode,
            mustChangePassword: false,
          });
          const me = await h.api("GET", "/api/v1/auth/me", { token: res.body.token });
          expect(me.status).toBe(200);
          expect(me.body).toMatchObject({ username: user.username, role: user.role, orgCode: user.orgCode });
        }
      });

      it("refuses a wrong password, and an unknown user the same way", async () => {
        const wrong = await h.api("POST", "/api/v1/auth/login", {
          body: { username: "sh.pd.manager", password: "nope-Nope-1" },
        });
        expectError(wrong, 401, "HUB_AUTH_INVALID_CREDENTIALS");
        const unknown = await h.api("POST", "/api/v1/auth/login", {
          body: { username: "no.such.user", password: "nope-Nope-1" },
        });
        expectError(unknown, 401, "HUB_AUTH_INVALID_CREDENTIALS");
        await h.login("sh.pd.manager"); // a later success resets the count
      });

      it("locks an account for 15 minutes after 5 consecutive failures (423 HUB_AUTH_LOCKED)", async () => {
        const password = await freshUser("lock.me");
        for (let i = 1; i <= 4; i++) {
          const res = await h.api("POST", "/api/v1/auth/login", {
            body: { username: "lock.me", password: "Wrong-Pass-1" },
          });
          expectError(res, 401, "HUB_AUTH_INVALID_CREDENTIALS");
        }
        const fifth = await h.api("POST", "/api/v1/auth/login", {
          body: { username: "lock.me", password: "Wrong-Pass-1" },
        });
        expectError(fifth, 423, "HUB_AUTH_LOCKED");
        const rightButLocked = await h.api("POST", "/api/v1/auth/login", {
          body: { username: "lock.me", password },
        });
        expectError(rightButLocked, 423, "HUB_AUTH_LOCKED");
        h.clock.advance(14 * MINUTE);
        expectError(
          await h.api("POST", "/api/v1/auth/login", { body: { username: "lock.me", password } }),
          423,
          "HUB_AUTH_LOCKED",
        );
        h.clock.advance(1 * MINUTE + 1000);
        const after = await h.api("POST", "/api/v1/auth/login", { body: { username: "lock.me", password } });
        expect(after.status).toBe(200);
      });

      it("refuses missing, forged, expired and revoked tokens with typed 401s", async () => {
        expectError(await h.api("GET", "/api/v1/auth/me"), 401, "HUB_AUTH_REQUIRED");
        const good = await h.login("sh.pd.sales1");
        const [head, body, sig] = good.split(".");
        const forgedClaims = Buffer.from(
          JSON.stringify({ ...JSON.parse(Buffer.from(body, "base64url").toString()), sub: "hq.admin" }),
        ).toString("base64url");
        expectError(
          await h.api("GET", "/api/v1/auth/me", { token: `${head}.${forgedClaims}.${sig}` }),
          401,
          "HUB_AUTH_TOKEN_INVALID",
        );
        expectError(
          await h.api("GET", "/api/v1/auth/me", { token: "not-a-token" }),
          401,
          "HUB_AUTH_TOKEN_INVALID",
        );
        h.clock.advance(8 * 60 * MINUTE + 1000);
        expectError(await h.api("GET", "/api/v1/auth/me", { token: good }), 401, "HUB_AUTH_TOKEN_EXPIRED");
        h.clock.reset();
        const other = await h.login("sh.pd.sales1");
        expect((await h.api("GET", "/api/v1/auth/me", { token: other })).status).toBe(200);
        expect((await h.api("POST", "/api/v1/auth/logout", { token: other })).status).toBe(200);
        expectError(await h.api("GET", "/api/v1/auth/me", { token: other }), 401, "HUB_AUTH_TOKEN_REVOKED");
        expect((await h.api("GET", "/api/v1/auth/me", { token: good })).status).toBe(200);
      });

      it("a disabled user can neither log in nor use an earlier token", async () => {
        const password = await freshUser("to.disable");
        const userToken = await h.login("to.disable", password);
        const admin = await token("sh.admin");
        const disabled = await h.api("POST", "/api/v1/users/to.disable/disable", { token: admin });
        expect(disabled.status).toBe(200);
        expect(disabled.body.enabled).toBe(false);
        expectError(
          await h.api("GET", "/api/v1/auth/me", { token: userToken }),
          401,
          "HUB_AUTH_TOKEN_REVOKED",
        );
        expectError(
          await h.api("POST", "/api/v1/auth/login", { body: { username: "to.disable", password } }),
          403,
          "HUB_AUTH_USER_DISABLED",
        );
        expect((await h.api("POST", "/api/v1/users/to.disable/enable", { token: admin })).status).toBe(200);
        expect(
          (await h.api("POST", "/api/v1/auth/login", { body: { username: "to.disable", password } })).status,
        ).toBe(200);
        const trail = async (action: string) =>
          (
            await h.api("GET", `/api/v1/audit?action=${action}&target=user:to.disable`, {
              token: await token("hq.auditor"),
            })
          ).body.items;
        expect(await trail("user.disable")).toEqual([
          expect.objectContaining({
            actor: "sh.admin",
            result: "ok",
            details: { before: { enabled: true }, after: { enabled: false } },
          }),
        ]);
        expect(await trail("user.enable")).toEqual([
          expect.objectContaining({
            actor: "sh.admin",
            result: "ok",
            details: { before: { enabled: false }, after: { enabled: true } },
          }),
        ]);
      });
    });

    describe("passwords", () => {
      it("enforces length and character classes, naming the field", async () => {
        const password = await freshUser("weak.pw");
        const t = await h.login("weak.pw", password);
        const res = await h.api("POST", "/api/v1/auth/password", {
          token: t,
          body: { currentPassword: password, newPassword: "abcdefgh" },
        });
        expectError(res, 422, "HUB_PASSWORD_POLICY");
        expect(res.body.error.details).toEqual([
          expect.objectContaining({ field: "newPassword", code: "TOO_FEW_CLASSES" }),
        ]);
        const short = await h.api("POST", "/api/v1/auth/password", {
          token: t,
          body: { currentPassword: password, newPassword: "Ab1!" },
        });
        expect(short.body.error.details).toEqual([
          expect.objectContaining({ field: "newPassword", code: "TOO_SHORT" }),
        ]);
        const wrongCurrent = await h.api("POST", "/api/v1/auth/password", {
          token: t,
          body: { currentPassword: "Nope-Nope-1", newPassword: "Good-Pass-22" },
        });
        expectError(wrongCurrent, 401, "HUB_AUTH_INVALID_CREDENTIALS");
      });

      it("refuses any of the last 5 passwords", async () => {
        const first = await freshUser("cycle.pw", "Cycle-Pass-0!");
        let current = first;
        let t = await h.login("cycle.pw", current);
        const change = (next: string) =>
          h.api("POST", "/api/v1/auth/password", {
            token: t,
            body: { currentPassword: current, newPassword: next },
          });
        expectError(await change(first), 422, "HUB_PASSWORD_POLICY");
        for (const next of ["Cycle-Pass-1!", "Cycle-Pass-2!", "Cycle-Pass-3!", "Cycle-Pass-4!"]) {
          expect((await change(next)).status).toBe(200);
          current = next;
        }
        // Current is 4; 0..3 are the previous four: the first is still one of the last 5.
        const reused = await change(first);
        expectError(reused, 422, "HUB_PASSWORD_POLICY");
        expect(reused.body.error.details[0].code).toBe("REUSED");
        expect((await change("Cycle-Pass-5!")).status).toBe(200);
        current = "Cycle-Pass-5!";
        t = await h.login("cycle.pw", current);
        expect((await change(first)).status).toBe(200);
      });

      it("an admin reset forces a change at next login; nothing else is allowed until then", async () => {
        await freshUser("reset.me");
        const reset = await h.api("POST", "/api/v1/users/reset.me/reset-password", {
          token: await token("sh.admin"),
        });
        expect(reset.status).toBe(200);
        const temporary = reset.body.temporaryPassword as string;
        expect(temporary.length).toBeGreaterThanOrEqual(8);
        const login = await h.api("POST", "/api/v1/auth/login", {
          body: { username: "reset.me", password: temporary },
        });
        expect(login.body.user.mustChangePassword).toBe(true);
        const t = login.body.token;
        expectError(
          await h.api("GET", "/api/v1/orgs", { token: t }),
          403,
          "HUB_AUTH_PASSWORD_CHANGE_REQUIRED",
        );
        const changed = await h.api("POST", "/api/v1/auth/password", {
          token: t,
          body: { currentPassword: temporary, newPassword: "Brand-New-9!" },
        });
        expect(changed.status).toBe(200);
        expect((await h.api("GET", "/api/v1/orgs", { token: t })).status).toBe(200);
      });

      it("a password older than 90 days must be changed", async () => {
        const password = await freshUser("old.pw");
        h.clock.advance(91 * 24 * 60 * MINUTE);
        const login = await h.api("POST", "/api/v1/auth/login", { body: { username: "old.pw", password } });
        expect(login.status).toBe(200);
        expect(login.body.user.mustChangePassword).toBe(true);
        expectError(
          await h.api("GET", "/api/v1/orgs", { token: login.body.token }),
          403,
          "HUB_AUTH_PASSWORD_CHANGE_REQUIRED",
        );
      });
    });

    describe("permissions through the API", () => {
      it("a sales user of one outlet gets 403 on another outlet's data", async () => {
        const sales = await token("sh.pd.sales1");
        const other = await h.api("GET", "/api/v1/orgs/110100", { token: sales });
        expectError(other, 403, "HUB_FORBIDDEN");
        expect(other.body.error.details).toMatchObject({ reason: "SCOPE" });
        expectError(await h.api("GET", "/api/v1/users/bj.cy.sales1", { token: sales }), 403, "HUB_FORBIDDEN");
        expect((await h.api("GET", "/api/v1/orgs/310100", { token: sales })).status).toBe(200);
      });

      it("scopes lists to the caller's subtree", async () => {
        const orgs = await h.api("GET", "/api/v1/orgs", { token: await token("sh.admin") });
        expect(orgs.body.items.map((o: any) => o.code)).toEqual(expect.arrayContaining(["310000", "310100"]));
        expect(orgs.body.items.map((o: any) => o.code)).not.toContain("110100");
        const users = await h.api("GET", "/api/v1/users?pageSize=200", { token: await token("sh.admin") });
        expect(users.body.items.map((u: any) => u.username)).toContain("sh.pd.sales1");
        expect(users.body.items.some((u: any) => u.orgCode.startsWith("11"))).toBe(false);
        const manager = await h.api("GET", "/api/v1/users", { token: await token("bj.cy.manager") });
        expect(manager.body.items.map((u: any) => u.username).sort()).toEqual([
          "bj.cy.manager",
          "bj.cy.sales1",
        ]);
      });

      it("lets admins assign only the roles they may, where they may", async () => {
        const branchAdmin = await token("sh.admin");
        const hq = await h.api("POST", "/api/v1/users", {
          token: branchAdmin,
          body: { username: "would.be.hq", displayName: "x", role: "hq_admin", orgCode: "310100" },
        });
        expectError(hq, 403, "HUB_FORBIDDEN");
        expect(hq.body.error.details.reason).toBe("ROLE_ASSIGNMENT");
        const elsewhere = await h.api("POST", "/api/v1/users", {
          token: branchAdmin,
          body: { username: "bj.intruder", displayName: "x", role: "sales", orgCode: "110100" },
        });
        expectError(elsewhere, 403, "HUB_FORBIDDEN");
        const auditor = await h.api("POST", "/api/v1/users", {
          token: await token("hq.auditor"),
          body: { username: "by.auditor", displayName: "x", role: "sales", orgCode: "310100" },
        });
        expectError(auditor, 403, "HUB_FORBIDDEN");
        const ok = await h.api("POST", "/api/v1/users", {
          token: branchAdmin,
          body: {
            username: "sh.pd.sales9",
            displayName: "浦东理财经理九",
            role: "sales",
            orgCode: "310100",
            employeeNo: "S1009",
          },
        });
        expect(ok.status).toBe(201);
        expect(ok.body.initialPassword).toEqual(expect.any(String));
        expect(ok.body.mustChangePassword).toBe(true);
      });
    });

    describe("organisation", () => {
      it("creates, renames and closes org units; never deletes one", async () => {
        const admin = await token("sh.admin");
        const created = await h.api("POST", "/api/v1/orgs", {
          token: admin,
          body: { code: "310200", name: "陆家嘴支行", kind: "outlet", parentCode: "310000" },
        });
        expect(created.status).toBe(201);
        expect(created.body).toMatchObject({ code: "310200", path: "000000/310000/310200", status: "open" });
        expectError(
          await h.api("POST", "/api/v1/orgs", {
            token: admin,
            body: { code: "310200", name: "重复", kind: "outlet", parentCode: "310000" },
          }),
          409,
          "HUB_ORG_EXISTS",
        );
        expectError(
          await h.api("POST", "/api/v1/orgs", {
            token: admin,
            body: { code: "310201", name: "x", kind: "outlet", parentCode: "310200" },
          }),
          422,
          "HUB_ORG_INVALID_PARENT",
        );
        expectError(
          await h.api("POST", "/api/v1/orgs", {
            token: admin,
            body: { code: "110200", name: "x", kind: "outlet", parentCode: "110000" },
          }),
          403,
          "HUB_FORBIDDEN",
        );
        const renamed = await h.api("PATCH", "/api/v1/orgs/310200", {
          token: admin,
          body: { name: "陆家嘴财富支行" },
        });
        expect(renamed.body.name).toBe("陆家嘴财富支行");

        const user = await h.api("POST", "/api/v1/users", {
          token: admin,
          body: { username: "ljz.sales1", displayName: "陆家嘴理财经理", role: "sales", orgCode: "310200" },
        });
        expect(user.status).toBe(201);
        expectError(
          await h.api("POST", "/api/v1/orgs/310200/close", { token: admin }),
          409,
          "HUB_ORG_NOT_EMPTY",
        );
        await h.api("POST", "/api/v1/users/ljz.sales1/disable", { token: admin });
        const closed = await h.api("POST", "/api/v1/orgs/310200/close", { token: admin });
        expect(closed.status).toBe(200);
        expect(closed.body).toMatchObject({ status: "closed", closedAt: expect.any(String) });
        // Still there, with its history.
        expect((await h.api("GET", "/api/v1/orgs/310200", { token: admin })).body.status).toBe("closed");
        const all = await h.api("GET", "/api/v1/orgs?status=all", { token: admin });
        expect(all.body.items.map((o: any) => o.code)).toContain("310200");
        expectError(
          await h.api("POST", "/api/v1/users", {
            token: admin,
            body: { username: "late.hire", displayName: "x", role: "sales", orgCode: "310200" },
          }),
          409,
          "HUB_ORG_CLOSED",
        );
      });
    });

    describe("catalog and risk lookup", () => {
      it("finds a product with whether its sale must be recorded at the caller's outlet", async () => {
        const res = await h.api("GET", "/api/v1/products/FD000001", { token: await token("sh.pd.sales1") });
        expect(res.status).toBe(200);
        expect(res.body).toMatchObject({
          code: "FD000001",
          type: "FUND",
          typeName: "基金",
          risk: "R4",
          openEnded: true,
          recordingRequired: { required: true, source: "type-default", orgCode: "310100" },
        });
        const other = await h.api("GET", "/api/v1/products/OT2026001", {
          token: await token("sh.pd.sales1"),
        });
        expect(other.body.recordingRequired).toMatchObject({ required: false, source: "type-default" });
        expectError(
          await h.api("GET", "/api/v1/products/NOPE", { token: await token("sh.pd.sales1") }),
          404,
          "HUB_PRODUCT_NOT_FOUND",
        );
        const search = await h.api("GET", "/api/v1/products?type=INSURANCE", {
          token: await token("sh.pd.sales1"),
        });
        expect(search.body.items.map((p: any) => p.code)).toEqual(["IN2026001", "IN2026002"]);
        expect(
          (
            await h.api("GET", "/api/v1/products?q=%E5%9F%BA%E9%87%91", {
              token: await token("sh.pd.sales1"),
            })
          ).body.total,
        ).toBe(3);
      });

      it("identifies a customer by card, identity number, number or name, masked, with the assessment in force", async () => {
        const sales = await token("sh.pd.sales1");
        const byCard = await h.api("GET", "/api/v1/customers/lookup?card=6222020000000001", { token: sales });
        expect(byCard.status).toBe(200);
        const [customer] = byCard.body.items;
        expect(customer).toMatchObject({
          customerNo: "C000000001",
          name: "张伟",
          idType: "ID_CARD",
          cards: [{ last4: "0001" }],
        });
        expect(customer.idNumber).toMatch(/^\d{4}\*{10}[\dX]{4}$/);
        expect(customer.phone).toMatch(/^1\d{2}\*{4}\d{4}$/);
        expect(customer.assessment).toMatchObject({
          level: "C3",
          levelName: expect.any(String),
          valid: true,
          source: "import",
        });

        const unmasked = await h.api("GET", "/api/v1/customers/C000000001?unmasked=true", {
          token: await token("hq.admin"),
        });
        expect(unmasked.body.idNumber).toMatch(/^\d{17}[\dX]$/);
        expect(unmasked.body.idNumber.slice(0, 4) + "**********" + unmasked.body.idNumber.slice(-4)).toBe(
          customer.idNumber,
        );
        const byId = await h.api("GET", `/api/v1/customers/lookup?idNo=${unmasked.body.idNumber}`, {
          token: sales,
        });
        expect(byId.body.items.map((c: any) => c.customerNo)).toEqual(["C000000001"]);
        const byName = await h.api("GET", `/api/v1/customers/lookup?name=${encodeURIComponent("陈静")}`, {
          token: sales,
        });
        expect(byName.body.items.map((c: any) => c.customerNo)).toContain("C000000005");
        expect(byName.body.items.find((c: any) => c.customerNo === "C000000005").assessment).toBeNull();

        expectError(
          await h.api("GET", "/api/v1/customers/C000000001?unmasked=true", { token: sales }),
          403,
          "HUB_FORBIDDEN",
        );
        expectError(
          await h.api("GET", "/api/v1/customers/lookup?card=6222029999999999", { token: sales }),
          404,
          "HUB_CUSTOMER_NOT_FOUND",
        );
        expectError(
          await h.api("GET", "/api/v1/customers/lookup?card=6222020000000001&name=x", { token: sales }),
          422,
          "HUB_VALIDATION_FAILED",
        );
        expectError(
          await h.api("GET", "/api/v1/customers/lookup", { token: sales }),
          422,
          "HUB_VALIDATION_FAILED",
        );
      });

      it("audits every customer read without writing card or identity numbers into the trail", async () => {
        await h.api("GET", "/api/v1/customers/lookup?card=6222020000000002", {
          token: await token("sh.pd.sales1"),
        });
        await h.api("GET", "/api/v1/customers/C000000002?unmasked=true", { token: await token("hq.admin") });
        const trail = await h.api("GET", "/api/v1/audit?action=customer.read&pageSize=2", {
          token: await token("hq.auditor"),
        });
        const [unmaskedRead, lookup] = trail.body.items;
        expect(unmaskedRead).toMatchObject({
          actor: "hq.admin",
          target: "customer:C000000002",
          details: { unmasked: true },
        });
        expect(lookup).toMatchObject({
          actor: "sh.pd.sales1",
          details: { query: { by: "card", value: "****0002" }, customers: ["C000000002"] },
        });
        expect(JSON.stringify(trail.body)).not.toContain("6222020000000002");
      });

      it("resolves recording-required overrides from outlet up to head office, within each admin's scope", async () => {
        const required = async (orgCode: string) =>
          (
            await h.api("GET", `/api/v1/products/OT2026001?orgCode=${orgCode}`, {
              token: await token("hq.admin"),
            })
          ).body.recordingRequired;
        const override = (who: string, orgCode: string, value: boolean) =>
          h.api("POST", "/api/v1/products/OT2026001/recording-overrides", {
            token: who,
            body: { orgCode, required: value },
          });
        const hq = await token("hq.admin");
        const sh = await token("sh.admin");
        expect(await required("310100")).toMatchObject({ required: false, source: "type-default" });
        expect((await override(hq, "000000", true)).status).toBe(200);
        expect(await required("310100")).toMatchObject({
          required: true,
          source: "override",
          orgPath: "000000",
        });
        expect((await override(sh, "310000", false)).status).toBe(200);
        expect(await required("310100")).toMatchObject({
          required: false,
          source: "override",
          orgPath: "000000/310000",
        });
        expect(await required("110100")).toMatchObject({ required: true, orgPath: "000000" });
        expectError(await override(sh, "110000", false), 403, "HUB_FORBIDDEN");
        expectError(await override(await token("sh.pd.manager"), "310100", true), 403, "HUB_FORBIDDEN");
        const cleared = await h.api("POST", "/api/v1/products/OT2026001/recording-overrides/310000/clear", {
          token: sh,
        });
        expect(cleared.body).toMatchObject({ cleared: true });
        expect(await required("310100")).toMatchObject({ required: true, orgPath: "000000" });
        await h.api("POST", "/api/v1/products/OT2026001/recording-overrides/000000/clear", { token: hq });
        const trail = await h.api("GET", "/api/v1/audit?action=recordingRequired.set&pageSize=10", {
          token: await token("hq.auditor"),
        });
        expect(trail.body.items.filter((e: any) => e.result === "ok")).toHaveLength(4);
      });

      it("lets only head office edit products, with before and after in the audit trail", async () => {
        const edit = (who: string, body: unknown) =>
          h.api("PATCH", "/api/v1/products/WM2026002", { token: who, body });
        expectError(await edit(await token("sh.admin"), { name: "x" }), 403, "HUB_FORBIDDEN");
        const ok = await edit(await token("hq.admin"), {
          name: "安盈理财一年期（二期）",
          maturityDate: "2027-03-31",
        });
        expect(ok.status).toBe(200);
        expect(ok.body).toMatchObject({ name: "安盈理财一年期（二期）", maturityDate: "2027-03-31" });
        const bad = await edit(await token("hq.admin"), { maturityDate: "2020-01-01" });
        expectError(bad, 422, "HUB_VALIDATION_FAILED");
        expect(bad.body.error.details[0]).toMatchObject({ field: "body.maturityDate" });
        expectError(await edit(await token("hq.admin"), { type: "FUND" }), 422, "HUB_VALIDATION_FAILED");
        const trail = await h.api("GET", "/api/v1/audit?action=product.edit&result=ok", {
          token: await token("hq.auditor"),
        });
        expect(trail.body.items[0].details).toMatchObject({
          before: { name: "安盈理财一年期", maturityDate: "2027-02-28" },
          after: { name: "安盈理财一年期（二期）", maturityDate: "2027-03-31" },
        });
      });

      it("keeps retention parameters per product type, head office only, never below the insurance regulator's minimum", async () => {
        const list = await h.api("GET", "/api/v1/retention-policies", { token: await token("sh.pd.sales1") });
        expect(list.body.items.find((p: any) => p.productType === "INSURANCE")).toMatchObject({
          insuranceYearsShortTerm: 5,
          insuranceYearsLongTerm: 10,
          isDefault: true,
        });
        const hq = await token("hq.admin");
        expectError(
          await h.api("PATCH", "/api/v1/retention-policies/INSURANCE", {
            token: hq,
            body: { insuranceYearsLongTerm: 8 },
          }),
          422,
          "HUB_VALIDATION_FAILED",
        );
        expectError(
          await h.api("PATCH", "/api/v1/retention-policies/FUND", {
            token: await token("sh.admin"),
            body: { openEndedYearsAfterPurchase: 6 },
          }),
          403,
          "HUB_FORBIDDEN",
        );
        const ok = await h.api("PATCH", "/api/v1/retention-policies/FUND", {
          token: hq,
          body: { openEndedYearsAfterPurchase: 6 },
        });
        expect(ok.body).toMatchObject({
          productType: "FUND",
          openEndedYearsAfterPurchase: 6,
          openEndedYearsAfterRedemption: 2,
        });
        const trail = await h.api("GET", "/api/v1/audit?action=retention.configure&result=ok", {
          token: await token("hq.auditor"),
        });
        expect(trail.body.items[0].details).toMatchObject({
          before: { openEndedYearsAfterPurchase: 5 },
          after: { openEndedYearsAfterPurchase: 6 },
        });
      });

      it("scores the questionnaire into a new assessment that the match uses at once", async () => {
        const sales = await token("sh.pd.sales1");
        const current = (await h.api("GET", "/api/v1/questionnaires/current", { token: sales })).body;
        expect(current.questions.length).toBeGreaterThanOrEqual(10);
        const pickBy = (best: boolean) =>
          Object.fromEntries(
            current.questions.map((q: any) => {
              const sorted = [...q.options].sort((a: any, b: any) => a.score - b.score);
              return [q.code, (best ? sorted[sorted.length - 1] : sorted[0]).code];
            }),
          );
        const before = await h.api("GET", "/api/v1/risk/match?customerNo=C000000006&productCode=FD000003", {
          token: sales,
        });
        const assessed = await h.api("POST", "/api/v1/risk-assessments", {
          token: sales,
          body: { customerNo: "C000000006", questionnaireVersion: current.version, answers: pickBy(true) },
        });
        expect(assessed.status).toBe(201);
        expect(assessed.body).toMatchObject({
          customerNo: "C000000006",
          level: "C5",
          source: "questionnaire",
        });
        expect(assessed.body.validUntil > assessed.body.assessedAt).toBe(true);
        const after = await h.api("GET", "/api/v1/risk/match?customerNo=C000000006&productCode=FD000003", {
          token: sales,
        });
        expect(after.body).toMatchObject({ ok: true, customerLevel: "C5" });
        expect(before.body.customerLevel === "C5" && before.body.ok).toBe(false);
        const cautious = await h.api("POST", "/api/v1/risk-assessments", {
          token: sales,
          body: { customerNo: "C000000006", questionnaireVersion: current.version, answers: pickBy(false) },
        });
        expect(cautious.body.level).toBe("C1");
        const { Q1: _dropped, ...incomplete } = pickBy(true);
        const missing = await h.api("POST", "/api/v1/risk-assessments", {
          token: sales,
          body: { customerNo: "C000000006", questionnaireVersion: current.version, answers: incomplete },
        });
        expectError(missing, 422, "HUB_VALIDATION_FAILED");
        expect(missing.body.error.details[0].field).toBe("body.answers.Q1");
      });

      it("records a scanned paper questionnaire's level, and lets head office replace the questionnaire", async () => {
        const sales = await token("sh.pd.sales1");
        const scan = await h.api("POST", "/api/v1/risk-assessments/scan", {
          token: sales,
          body: {
            customerNo: "C000000009",
            level: "C2",
            assessedAt: "2026-11-01",
            evidenceRef: "scan:demo-0001",
          },
        });
        expect(scan.status).toBe(201);
        expect(scan.body).toMatchObject({
          level: "C2",
          source: "scan",
          assessedAt: "2026-11-01",
          validUntil: "2027-10-31",
        });
        const v2 = {
          version: "2027.1",
          title: "简化问卷",
          questions: [
            {
              code: "Q1",
              text: "投资经验",
              options: [
                { code: "A", text: "无", score: 0 },
                { code: "B", text: "有", score: 10 },
              ],
            },
          ],
          thresholds: [
            { level: "C1", minScore: 0 },
            { level: "C2", minScore: 2 },
            { level: "C3", minScore: 4 },
            { level: "C4", minScore: 6 },
            { level: "C5", minScore: 8 },
          ],
        };
        expectError(
          await h.api("POST", "/api/v1/questionnaires", { token: await token("sh.admin"), body: v2 }),
          403,
          "HUB_FORBIDDEN",
        );
        const bad = await h.api("POST", "/api/v1/questionnaires", {
          token: await token("hq.admin"),
          body: {
            ...v2,
            version: "2027.0",
            thresholds: v2.thresholds.slice(0, 4).concat({ level: "C4", minScore: 9 }),
          },
        });
        expectError(bad, 422, "HUB_VALIDATION_FAILED");
        const ok = await h.api("POST", "/api/v1/questionnaires", {
          token: await token("hq.admin"),
          body: v2,
        });
        expect(ok.status).toBe(201);
        expect((await h.api("GET", "/api/v1/questionnaires/current", { token: sales })).body.version).toBe(
          "2027.1",
        );
        const scored = await h.api("POST", "/api/v1/risk-assessments", {
          token: sales,
          body: { customerNo: "C000000007", questionnaireVersion: "2027.1", answers: { Q1: "B" } },
        });
        expect(scored.body).toMatchObject({ level: "C5", score: 10, questionnaireVersion: "2027.1" });
      });

      it("gives the ordered sale script, and refuses staff without a valid sales qualification", async () => {
        const script = await h.api("GET", "/api/v1/scripts?productCode=FD000002&customerNo=C000000001", {
          token: await token("sh.pd.sales1"),
        });
        expect(script.status).toBe(200);
        expect(script.body.steps.map((s: any) => s.code)).toEqual([
          "consent",
          "staff-disclosure",
          "risk-warning",
          "customer-identification",
          "risk-assessment",
          "product-match",
          "product-introduction",
          "confirmation",
        ]);
        expect(script.body.steps.map((s: any) => s.requiresConfirmation)).toEqual([
          true,
          false,
          true,
          false,
          false,
          false,
          true,
          true,
        ]);
        expect(script.body.steps[1].text).toContain("ZGS1002");
        expect(script.body.steps[6].text).toContain("稳健债券基金");
        // The customer appears by masked name only: the script is shown on screen and burnt into the recording.
        expect(JSON.stringify(script.body.steps)).toContain("张*");
        expect(JSON.stringify(script.body.steps)).not.toContain("张伟");
        await freshUser("unqualified.sales");
        const own = await h.login("unqualified.sales", "Fresh-Pass-1!");
        await h.api("POST", "/api/v1/auth/password", {
          token: own,
          body: { currentPassword: "Fresh-Pass-1!", newPassword: "Fresh-Pass-2!" },
        });
        const unqualified = await h.api("GET", "/api/v1/scripts?productCode=FD000002", { token: own });
        expectError(unqualified, 403, "HUB_STAFF_NOT_QUALIFIED");
        const admin = await token("sh.admin");
        await h.api("PATCH", "/api/v1/users/unqualified.sales", {
          token: admin,
          body: { qualificationCertNo: "ZG9999", qualificationValidUntil: "2099-12-31" },
        });
        const now = await h.api("GET", "/api/v1/scripts?productCode=FD000002", { token: own });
        expect(now.status).toBe(200);
      });

      it("matches product risk against the customer's level and the assessment's validity", async () => {
        const sales = await token("sh.pd.sales1");
        const match = async (customerNo: string, productCode: string) =>
          (
            await h.api("GET", `/api/v1/risk/match?customerNo=${customerNo}&productCode=${productCode}`, {
              token: sales,
            })
          ).body;
        expect(await match("C000000001", "AM2026001")).toMatchObject({
          ok: true,
          code: "HUB_RISK_MATCH_OK",
          customerLevel: "C3",
          productRisk: "R3",
        });
        expect(await match("C000000001", "FD000001")).toMatchObject({
          ok: false,
          code: "HUB_RISK_MISMATCH",
          customerLevel: "C3",
          productRisk: "R4",
        });
        expect(await match("C000000002", "FD000003")).toMatchObject({
          ok: true,
          customerLevel: "C5",
          productRisk: "R5",
        });
        expect(await match("C000000003", "WM2026003")).toMatchObject({
          ok: true,
          customerLevel: "C1",
          productRisk: "R1",
        });
        expect(await match("C000000004", "WM2026003")).toMatchObject({
          ok: false,
          code: "HUB_RISK_ASSESSMENT_EXPIRED",
          customerLevel: "C4",
        });
        expect(await match("C000000005", "WM2026003")).toMatchObject({
          ok: false,
          code: "HUB_RISK_ASSESSMENT_MISSING",
          customerLevel: null,
        });
        const reason = (await match("C000000001", "FD000001")).reason;
        expect(reason).toMatch(/C3.*R4/);

        const validUntil = (await match("C000000001", "AM2026001")).validUntil;
        const onDay = async (day: string) =>
          (
            await h.api(
              "GET",
              `/api/v1/risk/match?customerNo=C000000001&productCode=AM2026001&onDay=${day}`,
              { token: sales },
            )
          ).body.code;
        const next = new Date(Date.parse(`${validUntil}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
        expect(await onDay(validUntil)).toBe("HUB_RISK_MATCH_OK");
        expect(await onDay(next)).toBe("HUB_RISK_ASSESSMENT_EXPIRED");
        expectError(
          await h.api(
            "GET",
            "/api/v1/risk/match?customerNo=C000000001&productCode=AM2026001&onDay=2026-02-30",
            { token: sales },
          ),
          422,
          "HUB_VALIDATION_FAILED",
        );
        expectError(
          await h.api("GET", "/api/v1/risk/match?customerNo=C999999999&productCode=AM2026001", {
            token: sales,
          }),
          404,
          "HUB_CUSTOMER_NOT_FOUND",
        );
      });
    });

    describeImports(() => h, token);

    describeRecordings(() => h, token);

    describeUploads(() => h, token);

    describeRetention(() => h);

    describe("bad input changes nothing", () => {
      async function userCount() {
        return h.db.manager.getRepository(UserEntity).count();
      }

      it("answers each kind of bad request with a typed 4xx naming the problem", async () => {
        const admin = await token("hq.admin");
        const before = await userCount();
        const post = (body: unknown) => h.api("POST", "/api/v1/users", { token: admin, body });

        expectError(
          await h.api("POST", "/api/v1/users", {
            token: admin,
            rawBody: "{bad json",
            headers: { "content-type": "application/json" },
          }),
          400,
          "HUB_BAD_JSON",
        );
        const unknownField = await post({
          username: "x.y.z",
          displayName: "x",
          role: "sales",
          orgCode: "310100",
          salary: 1,
        });
        expectError(unknownField, 422, "HUB_VALIDATION_FAILED");
        expect(unknownField.body.error.details).toEqual([
          expect.objectContaining({ field: "body.salary", code: "additionalProperties" }),
        ]);
        const missing = await post({ username: "x.y.z", role: "sales", orgCode: "310100" });
        expect(missing.body.error.details).toEqual([
          expect.objectContaining({ field: "body.displayName", code: "required" }),
        ]);
        const wrongType = await post({ username: 42, displayName: "x", role: "sales", orgCode: "310100" });
        expect(wrongType.body.error.details).toEqual([
          expect.objectContaining({ field: "body.username", code: "type" }),
        ]);
        const badEnum = await post({ username: "x.y.z", displayName: "x", role: "king", orgCode: "310100" });
        expect(badEnum.body.error.details[0]).toMatchObject({ field: "body.role" });
        expectError(
          await h.api("POST", "/api/v1/users", {
            token: admin,
            rawBody: "username=x",
            headers: { "content-type": "text/plain" },
          }),
          415,
          "HUB_UNSUPPORTED_MEDIA_TYPE",
        );
        const huge = JSON.stringify({
          username: "big.one",
          displayName: "x".repeat(1_200_000),
          role: "sales",
          orgCode: "310100",
        });
        expectError(
          await h.api("POST", "/api/v1/users", {
            token: admin,
            rawBody: huge,
            headers: { "content-type": "application/json" },
          }),
          413,
          "HUB_BODY_TOO_LARGE",
        );
        const badQuery = await h.api("GET", "/api/v1/users?page=abc", { token: admin });
        expectError(badQuery, 422, "HUB_VALIDATION_FAILED");
        expect(badQuery.body.error.details[0].field).toBe("query.page");
        expect(
          (await h.api("GET", "/api/v1/users?bogus=1", { token: admin })).body.error.details[0].field,
        ).toBe("query.bogus");
        const badPath = await h.api("GET", "/api/v1/orgs/..%2F..", { token: admin });
        expect([404, 422]).toContain(badPath.status);
        expectError(await h.api("GET", "/api/v1/no-such-thing", { token: admin }), 404, "HUB_NOT_FOUND");
        expectError(await h.api("DELETE", "/api/v1/orgs/310100", { token: admin }), 404, "HUB_NOT_FOUND");
        expectError(await h.api("GET", "/no-such-page"), 404, "HUB_NOT_FOUND");
        expect(await userCount()).toBe(before);
      });

      it("treats SQL metacharacters as plain text", async () => {
        const admin = await token("hq.admin");
        const before = await userCount();
        const injection = await h.api("POST", "/api/v1/auth/login", {
          body: { username: "x' OR '1'='1", password: "' OR 1=1 --" },
        });
        expectError(injection, 401, "HUB_AUTH_INVALID_CREDENTIALS");
        const search = await h.api("GET", `/api/v1/users?q=${encodeURIComponent("%' OR 1=1 --")}`, {
          token: admin,
        });
        expect(search.status).toBe(200);
        expect(search.body.items).toEqual([]);
        const name = "Robert'); DROP TABLE users; --";
        const created = await h.api("POST", "/api/v1/orgs", {
          token: admin,
          body: { code: "110300", name, kind: "outlet", parentCode: "110000" },
        });
        expect(created.status).toBe(201);
        expect((await h.api("GET", "/api/v1/orgs/110300", { token: admin })).body.name).toBe(name);
        expect(await userCount()).toBe(before);
      });
    });

    describe("audit trail", () => {
      it("records changes and reads of sensitive data with actor, role, org, target, result and client IP", async () => {
        const admin = await token("sh.admin");
        await h.api("GET", "/api/v1/users/sh.pd.sales1", { token: admin });
        await h.api("GET", "/api/v1/users/bj.cy.sales1", { token: admin }); // denied: outside the branch
        const trail = await h.api("GET", "/api/v1/audit?actor=sh.admin&action=user.read&pageSize=10", {
          token: await token("hq.auditor"),
        });
        expect(trail.status).toBe(200);
        const [denied, read] = trail.body.items;
        expect(read).toMatchObject({
          actor: "sh.admin",
          role: "branch_admin",
          org: "310000",
          action: "user.read",
          target: "user:sh.pd.sales1",
          result: "ok",
          kind: "audit",
        });
        expect(read.ip).toMatch(/127\.0\.0\.1/);
        expect(read.at).toMatch(/^\d{4}-\d{2}-\d{2}T/);
        expect(denied).toMatchObject({ action: "user.read", target: "user:bj.cy.sales1", result: "denied" });
        expect(denied.seq).toBeGreaterThan(read.seq);
      });

      it("attributes logins, failed ones too, to the user's role and org, visible within that scope", async () => {
        await h.api("POST", "/api/v1/auth/login", {
          body: { username: "sh.pd.sales1", password: "Wrong-Pass-1" },
        });
        await h.login("sh.pd.sales1");
        const trail = await h.api("GET", "/api/v1/audit?action=auth.login&actor=sh.pd.sales1&pageSize=2", {
          token: await token("sh.admin"),
        });
        expect(trail.status).toBe(200);
        expect(trail.body.items).toEqual([
          expect.objectContaining({ actor: "sh.pd.sales1", role: "sales", org: "310100", result: "ok" }),
          expect.objectContaining({
            actor: "sh.pd.sales1",
            role: "sales",
            org: "310100",
            result: "denied",
            details: expect.objectContaining({ error: "HUB_AUTH_INVALID_CREDENTIALS" }),
          }),
        ]);
        // Outside the branch: the Beijing outlet's logins are not Shanghai's to read.
        const other = await h.api("GET", "/api/v1/audit?action=auth.login&actor=bj.cy.sales1", {
          token: await token("sh.admin"),
        });
        expect(other.body.items).toEqual([]);
      });

      it("records changes with before and after", async () => {
        const admin = await token("sh.admin");
        await h.api("PATCH", "/api/v1/users/sh.pd.sales9", {
          token: admin,
          body: { displayName: "浦东理财经理九号" },
        });
        const trail = await h.api("GET", "/api/v1/audit?action=user.update&target=user:sh.pd.sales9", {
          token: await token("hq.admin"),
        });
        expect(trail.body.items[0].details.before.displayName).toBe("浦东理财经理九");
        expect(trail.body.items[0].details.after.displayName).toBe("浦东理财经理九号");
      });

      it("audits reads of the audit trail and scopes them", async () => {
        expectError(
          await h.api("GET", "/api/v1/audit", { token: await token("sh.pd.sales1") }),
          403,
          "HUB_FORBIDDEN",
        );
        const branch = await h.api("GET", "/api/v1/audit?pageSize=200", { token: await token("sh.admin") });
        expect(branch.status).toBe(200);
        expect(branch.body.items.length).toBeGreaterThan(0);
        expect(
          branch.body.items.every((e: any) => e.org === "310000" || e.org === "310100" || e.org === "310200"),
        ).toBe(true);
        const reads = await h.api("GET", "/api/v1/audit?action=audit.read&actor=sh.admin", {
          token: await token("hq.admin"),
        });
        expect(reads.body.total).toBeGreaterThanOrEqual(1);
      });

      it("verifies a busy log, then pinpoints an edited, a deleted and a reordered entry", async () => {
        const admin = await token("sh.admin");
        await Promise.all(
          Array.from({ length: 300 }, () => h.api("GET", "/api/v1/users/sh.pd.manager", { token: admin })),
        );
        const auditor = await token("hq.auditor");
        const verify = async () => (await h.api("GET", "/api/v1/audit/verify", { token: auditor })).body;
        const good = await verify();
        expect(good).toMatchObject({ ok: true });
        expect(good.entries).toBeGreaterThan(300);
        expect(good.checkpointsVerified).toBeGreaterThanOrEqual(0);
        expectError(await h.api("GET", "/api/v1/audit/verify", { token: admin }), 403, "HUB_FORBIDDEN");

        const repo = h.db.manager.getRepository(AuditEntryEntity);
        const victim = await repo.findOneByOrFail({ seq: 100 });
        await repo.update({ seq: 100 }, { actor: "mallory" });
        expect(await verify()).toMatchObject({ ok: false, brokenAt: 100, reason: "HASH_MISMATCH" });
        const out: string[] = [];
        const code = await withEnv(h.env, () =>
          cli(["audit", "verify"], { log: (s) => out.push(s), error: () => undefined }),
        );
        expect(code).toBe(1);
        expect(JSON.parse(out[0])).toMatchObject({ ok: false, brokenAt: 100 });
        await repo.update({ seq: 100 }, { actor: victim.actor });
        expect((await verify()).ok).toBe(true);

        const a = await repo.findOneByOrFail({ seq: 150 });
        const b = await repo.findOneByOrFail({ seq: 151 });
        const { seq: _a, ...aContent } = a;
        const { seq: _b, ...bContent } = b;
        await repo.update({ seq: 150 }, bContent);
        await repo.update({ seq: 151 }, aContent);
        expect(await verify()).toMatchObject({ ok: false, brokenAt: 150 });
        await repo.update({ seq: 150 }, aContent);
        await repo.update({ seq: 151 }, bContent);

        await repo.delete({ seq: 200 });
        expect(await verify()).toMatchObject({ ok: false, brokenAt: 200, reason: "SEQ_GAP" });
      });
    });
  });
}
