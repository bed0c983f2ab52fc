import fs from "node:fs";
import path from "node:path";
import ExcelJS from "exceljs";
import { CustomerEntity, ImportJobEntity, ProductEntity, RiskAssessmentEntity } from "../../hub/db/entities";
import {
  CUSTOMER_HEADER_EN,
  CUSTOMER_HEADER_ZH,
  PRODUCT_HEADER_EN,
  PRODUCT_HEADER_ZH,
  birthDateOf,
  csvGbk,
  csvUtf8,
  customer,
  idCardNumber,
  product,
  xlsx,
} from "../fixtures/imports/files";
import type { ApiResponse, Harness } from "../support/hub-harness";

const XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

function form(file: Buffer, filename: string, type = "text/csv"): FormData {
  const body = new FormData();
  body.append("file", new Blob([file], { type }), filename);
  return body;
}

function brief(errors: { row: number; column: string; code: string }[]) {
  return errors.map(({ row, column, code }) => ({ row, column, code }));
}

/**
 * Batch imports through the HTTP face: multipart CSV/XLSX, all-or-nothing, upsert counts, jobs for large files,
 * templates, and who may import what. Runs inside the hub suite, against each topology.
 */
export function describeImports(harness: () => Harness, token: (username: string) => Promise<string>): void {
  const upload = async (kind: "products" | "customers", username: string, body: FormData) =>
    harness().api("POST", `/api/v1/imports/${kind}`, { token: await token(username), form: body });

  const count = (entity: typeof ProductEntity | typeof CustomerEntity) =>
    harness().db.manager.getRepository(entity).count();

  async function untilFinished(jobId: string, username = "hq.admin"): Promise<ApiResponse[]> {
    const seen: ApiResponse[] = [];
    for (let i = 0; i < 600; i++) {
      const res = await harness().api("GET", `/api/v1/imports/${jobId}`, { token: await token(username) });
      seen.push(res);
      if (!["queued", "reading", "writing"].includes(res.body.status)) return seen;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`job ${jobId} did not finish`);
  }

  function expectError(res: ApiResponse, status: number, code: string) {
    expect({ status: res.status, code: res.body?.error?.code }).toEqual({ status, code });
  }

  describe("batch imports", () => {
    it("imports products from a GBK CSV with Chinese headers, then counts updates and unchanged rows", async () => {
      const rows = [
        PRODUCT_HEADER_ZH,
        product("IMP-P-001", { name: "导入理财一号", risk: "R2" }),
        product("IMP-P-002", { type: "基金", risk: "R4", maturityDate: "", termMonths: "" }),
        product("IMP-P-003", { type: "保险", risk: "R1", termMonths: "60", maturityDate: "2030-01-14" }),
      ];
      const first = await upload("products", "hq.admin", form(csvGbk(rows), "产品.csv"));
      expect(first.status).toBe(200);
      expect(first.body).toMatchObject({ status: "done", inserted: 3, updated: 0, unchanged: 0 });

      const got = await harness().api("GET", "/api/v1/products/IMP-P-002", {
        token: await token("hq.admin"),
      });
      expect(got.body).toMatchObject({ name: "稳健理财1号", type: "FUND", risk: "R4", openEnded: true });

      const again = await upload("products", "hq.admin", form(csvGbk(rows), "产品.csv"));
      expect(again.body).toMatchObject({ inserted: 0, updated: 0, unchanged: 3 });

      rows[1] = product("IMP-P-001", { name: "导入理财一号", risk: "R3" });
      const changed = await upload("products", "hq.admin", form(csvUtf8(rows, { bom: true }), "p.csv"));
      expect(changed.body).toMatchObject({ inserted: 0, updated: 1, unchanged: 2 });
      const edited = await harness().api("GET", "/api/v1/products/IMP-P-001", {
        token: await token("hq.admin"),
      });
      expect(edited.body.risk).toBe("R3");

      // Every import is in the audit trail with its counts.
      const audit = await harness().api("GET", "/api/v1/audit?action=product.import&pageSize=10", {
        token: await token("hq.admin"),
      });
      expect(audit.body.items[0]).toMatchObject({
        actor: "hq.admin",
        result: "ok",
        target: `import:${changed.body.jobId}`,
        details: { inserted: 0, updated: 1, unchanged: 2, fileName: "p.csv" },
      });
    });

    it("imports from XLSX with English headers; a column left out keeps what is stored", async () => {
      const file = await xlsx([
        ["productCode", "name", "type", "risk"],
        ["IMP-P-001", "导入理财一号", "WEALTH", "R3"],
        ["IMP-X-001", "表格导入产品", "TRUST", "R5"],
      ]);
      const res = await upload("products", "hq.admin", form(file, "products.xlsx", XLSX_TYPE));
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ inserted: 1, updated: 0, unchanged: 1 });
      const kept = await harness().api("GET", "/api/v1/products/IMP-P-001", {
        token: await token("hq.admin"),
      });
      expect(kept.body).toMatchObject({ issuer: "示例理财有限责任公司", maturityDate: "2026-01-14" });
      const fresh = await harness().api("GET", "/api/v1/products/IMP-X-001", {
        token: await token("hq.admin"),
      });
      expect(fresh.body).toMatchObject({ type: "TRUST", risk: "R5", issuer: null, openEnded: true });
    });

    it("refuses a file with bad rows with every error listed, and imports nothing of it", async () => {
      const before = await count(ProductEntity);
      const rows = [
        PRODUCT_HEADER_ZH,
        product("IMP-BAD-01"),
        product("IMP-BAD-02", { inceptionDate: "2025/13/01" }),
        product("IMP-BAD-03", { type: "股票", risk: "R9" }),
        product("IMP-BAD-01"),
        product("IMP-BAD-04", { termMonths: "=1+1" }),
        product("IMP-BAD-05", { name: '=HYPERLINK("http://x")' }),
      ];
      const res = await upload("products", "hq.admin", form(csvUtf8(rows), "bad.csv"));
      expectError(res, 422, "HUB_IMPORT_INVALID");
      expect(brief(res.body.error.details.errors)).toEqual([
        { row: 3, column: "成立日期", code: "INVALID_DATE" },
        { row: 4, column: "产品类型", code: "UNKNOWN_VALUE" },
        { row: 4, column: "风险等级", code: "UNKNOWN_VALUE" },
        { row: 5, column: "产品代码", code: "DUPLICATE_KEY" },
        { row: 6, column: "期限(月)", code: "INVALID_FORMAT" },
      ]);
      for (const e of res.body.error.details.errors) expect(e.message).toEqual(expect.any(String));
      expect(await count(ProductEntity)).toBe(before);

      const missing = await upload(
        "products",
        "hq.admin",
        form(
          csvUtf8([
            ["产品代码", "产品名称"],
            ["IMP-BAD-09", "缺列"],
          ]),
          "m.csv",
        ),
      );
      expectError(missing, 422, "HUB_IMPORT_INVALID");
      expect(brief(missing.body.error.details.errors)).toEqual([
        { row: 1, column: "产品类型", code: "MISSING_COLUMN" },
        { row: 1, column: "风险等级", code: "MISSING_COLUMN" },
      ]);

      const notXlsx = await upload(
        "products",
        "hq.admin",
        form(Buffer.from("PK\u0003\u0004 not a zip"), "x.xlsx", XLSX_TYPE),
      );
      expectError(notXlsx, 422, "HUB_IMPORT_INVALID");
      expect(brief(notXlsx.body.error.details.errors)).toEqual([{ row: 0, column: "", code: "NOT_XLSX" }]);
      expect(await count(ProductEntity)).toBe(before);
    });

    it("keeps a formula-like name as text, never evaluated", async () => {
      const res = await upload(
        "products",
        "hq.admin",
        form(
          csvUtf8([PRODUCT_HEADER_EN, product("IMP-F-001", { name: "=1+1", issuer: "@SUM(A1)" })]),
          "f.csv",
        ),
      );
      expect(res.body).toMatchObject({ inserted: 1 });
      const got = await harness().api("GET", "/api/v1/products/IMP-F-001", {
        token: await token("hq.admin"),
      });
      expect(got.body).toMatchObject({ name: "=1+1", issuer: "@SUM(A1)" });
    });

    it("imports customers with encrypted identity data and assessments valid for head office's period", async () => {
      const hq = await token("hq.admin");
      const settings = await harness().api("PATCH", "/api/v1/risk-assessments/settings", {
        token: hq,
        body: { validityMonths: 24 },
      });
      expect(settings.status).toBe(200);
      expect(settings.body).toMatchObject({ validityMonths: 24, isDefault: false, updatedBy: "hq.admin" });
      try {
        const id = idCardNumber(424242);
        const rows = [
          CUSTOMER_HEADER_ZH,
          customer("IMPC001", {
            idNumber: id,
            birthDate: birthDateOf(id),
            assessedAt: "2026-01-10",
            validUntil: "",
          }),
          customer("IMPC002", {
            idNumber: idCardNumber(7),
            birthDate: "",
            riskLevel: "",
            assessedAt: "",
            validUntil: "",
          }),
        ];
        const res = await upload("customers", "hq.admin", form(csvUtf8(rows), "c.csv"));
        expect(res.status).toBe(200);
        expect(res.body).toMatchObject({ inserted: 2, updated: 0, unchanged: 0 });

        const stored = await harness()
          .db.manager.getRepository(CustomerEntity)
          .findOneByOrFail({ customerNo: "IMPC001" });
        expect(stored.idNumberEnc).not.toContain(id.slice(6, 14));
        expect(stored.phoneEnc).not.toContain("13800138000");

        const got = await harness().api("GET", "/api/v1/customers/IMPC001", {
          token: await token("sh.pd.sales1"),
        });
        expect(got.body.idNumber).toBe(`${id.slice(0, 4)}**********${id.slice(-4)}`);
        expect(got.body.assessment).toMatchObject({
          level: "C3",
          assessedAt: "2026-01-10",
          validUntil: "2028-01-09",
          source: "import",
        });
        const none = await harness().api("GET", "/api/v1/customers/IMPC002", { token: hq });
        expect(none.body.assessment).toBeNull();

        // Same file again: nothing new, not even a second copy of the assessment.
        const again = await upload("customers", "hq.admin", form(csvUtf8(rows), "c.csv"));
        expect(again.body).toMatchObject({ inserted: 0, updated: 0, unchanged: 2 });
        const history = await harness()
          .db.manager.getRepository(RiskAssessmentEntity)
          .countBy({ customerNo: "IMPC001" });
        expect(history).toBe(1);

        // A newer assessment is added to the history and wins; the phone changes.
        rows[1] = customer("IMPC001", {
          idNumber: id,
          birthDate: birthDateOf(id),
          phone: "13900139000",
          riskLevel: "C5",
          assessedAt: "2026-02-01",
          validUntil: "2026-12-31",
        });
        const newer = await upload("customers", "hq.admin", form(csvUtf8(rows), "c.csv"));
        expect(newer.body).toMatchObject({ inserted: 0, updated: 1, unchanged: 1 });
        const unmasked = await harness().api("GET", "/api/v1/customers/IMPC001?unmasked=true", {
          token: hq,
        });
        expect(unmasked.body).toMatchObject({ idNumber: id, phone: "13900139000" });
        expect(unmasked.body.assessment).toMatchObject({ level: "C5", validUntil: "2026-12-31" });
      } finally {
        await harness().api("PATCH", "/api/v1/risk-assessments/settings", {
          token: hq,
          body: { validityMonths: 12 },
        });
      }
    });

    it("refuses a customer file with bad rows as a whole", async () => {
      const before = await count(CustomerEntity);
      const id = idCardNumber(99);
      const rows = [
        CUSTOMER_HEADER_EN,
        customer("IMPC100", { idNumber: id, birthDate: birthDateOf(id) }),
        customer("IMPC101", { idNumber: "310101199003071231" }),
        customer("IMPC102", { riskLevel: "C7", phone: "+8613800138000" }),
        customer("IMPC103", { assessedAt: "2099-01-01", validUntil: "" }),
      ];
      const res = await upload("customers", "hq.admin", form(csvUtf8(rows), "c.csv"));
      expectError(res, 422, "HUB_IMPORT_INVALID");
      expect(brief(res.body.error.details.errors)).toEqual([
        { row: 3, column: "idNumber", code: "ID_CHECK_DIGIT" },
        { row: 4, column: "phone", code: "INVALID_FORMAT" },
        { row: 4, column: "riskLevel", code: "UNKNOWN_VALUE" },
        { row: 5, column: "assessedAt", code: "FUTURE_DATE" },
      ]);
      expect(await count(CustomerEntity)).toBe(before);
    });

    it("lets head office import customers and products, a branch products for its subtree, nobody else", async () => {
      const products = csvUtf8([PRODUCT_HEADER_ZH, product("IMP-PERM-1")]);
      const customers = csvUtf8([
        CUSTOMER_HEADER_ZH,
        customer("IMPPERMC1", { idNumber: idCardNumber(5), birthDate: "" }),
      ]);
      for (const username of ["sh.pd.sales1", "sh.pd.manager", "hq.auditor"]) {
        expectError(await upload("products", username, form(products, "p.csv")), 403, "HUB_FORBIDDEN");
        expectError(await upload("customers", username, form(customers, "c.csv")), 403, "HUB_FORBIDDEN");
      }
      expectError(await upload("customers", "sh.admin", form(customers, "c.csv")), 403, "HUB_FORBIDDEN");
      expect(
        await harness().db.manager.getRepository(CustomerEntity).countBy({ customerNo: "IMPPERMC1" }),
      ).toBe(0);
      const unauthenticated = await harness().api("POST", "/api/v1/imports/products", {
        form: form(products, "p.csv"),
      });
      expectError(unauthenticated, 401, "HUB_AUTH_REQUIRED");

      // A branch adds a product, and its 是否双录 is the branch's own decision for its subtree.
      const added = await upload(
        "products",
        "sh.admin",
        form(
          csvUtf8([PRODUCT_HEADER_ZH, product("IMP-PERM-1", { type: "其他", recordingRequired: "是" })]),
          "p.csv",
        ),
      );
      expect(added.status).toBe(200);
      expect(added.body).toMatchObject({ inserted: 1 });
      const inShanghai = await harness().api("GET", "/api/v1/products/IMP-PERM-1", {
        token: await token("sh.pd.sales1"),
      });
      expect(inShanghai.body.recordingRequired).toMatchObject({
        required: true,
        source: "override",
        orgCode: "310100",
      });
      const inBeijing = await harness().api("GET", "/api/v1/products/IMP-PERM-1", {
        token: await token("bj.cy.sales1"),
      });
      expect(inBeijing.body.recordingRequired).toMatchObject({ required: false, source: "type-default" });

      // What head office set stays head office's: a branch's file may not change it.
      const risky = await upload(
        "products",
        "sh.admin",
        form(
          csvUtf8([
            PRODUCT_HEADER_ZH,
            product("IMP-PERM-1", { type: "其他", risk: "R1" }),
            product("IMP-P-003", { risk: "R1" }),
          ]),
          "p.csv",
        ),
      );
      expectError(risky, 422, "HUB_IMPORT_INVALID");
      expect(brief(risky.body.error.details.errors)).toEqual([
        { row: 2, column: "风险等级", code: "HEAD_OFFICE_FIELD" },
        { row: 3, column: "产品类型", code: "HEAD_OFFICE_FIELD" },
        { row: 3, column: "到期日", code: "HEAD_OFFICE_FIELD" },
        { row: 3, column: "期限(月)", code: "HEAD_OFFICE_FIELD" },
      ]);
      const unchanged = await harness().api("GET", "/api/v1/products/IMP-PERM-1", {
        token: await token("hq.admin"),
      });
      expect(unchanged.body.risk).toBe("R2");

      // The validity period is head office's too.
      expectError(
        await harness().api("PATCH", "/api/v1/risk-assessments/settings", {
          token: await token("sh.admin"),
          body: { validityMonths: 6 },
        }),
        403,
        "HUB_FORBIDDEN",
      );
      const period = await harness().api("GET", "/api/v1/risk-assessments/settings", {
        token: await token("sh.pd.sales1"),
      });
      expect(period.body).toMatchObject({ validityMonths: 12 });
    });

    it("refuses what is not a one-file multipart upload, and a file over the size limit, keeping nothing", async () => {
      const hq = await token("hq.admin");
      const json = await harness().api("POST", "/api/v1/imports/products", { token: hq, body: { rows: [] } });
      expectError(json, 415, "HUB_UNSUPPORTED_MEDIA_TYPE");
      const fieldsOnly = new FormData();
      fieldsOnly.append("note", "no file");
      expectError(await upload("products", "hq.admin", fieldsOnly), 400, "HUB_FILE_MISSING");

      const before = await count(ProductEntity);
      const jobsBefore = await harness().db.manager.getRepository(ImportJobEntity).count();
      // 200 MB: a valid header, then far more than the 100 MB limit.
      const huge = Buffer.alloc(200 * 1024 * 1024, "A");
      Buffer.from(`${PRODUCT_HEADER_EN.join(",")}\r\n`).copy(huge);
      const res = await upload("products", "hq.admin", form(huge, "huge.csv"));
      expectError(res, 413, "HUB_BODY_TOO_LARGE");
      expect(await count(ProductEntity)).toBe(before);
      expect(await harness().db.manager.getRepository(ImportJobEntity).count()).toBe(jobsBefore);
      const spool = path.join(harness().dataDir, "imports");
      expect(fs.existsSync(spool) ? fs.readdirSync(spool) : []).toEqual([]);
    });

    it("runs a large file as a job with progress, and a job with a bad row imports nothing", async () => {
      const rows: string[][] = [PRODUCT_HEADER_EN];
      for (let i = 0; i < 6000; i++) rows.push(product(`IMP-JOB-${String(i).padStart(5, "0")}`));
      const file = csvUtf8(rows);
      expect(file.length).toBeGreaterThan(512 * 1024);

      const accepted = await upload("products", "hq.admin", form(file, "big.csv"));
      expect(accepted.status).toBe(202);
      expect(accepted.headers.get("location")).toBe(`/api/v1/imports/${accepted.body.jobId}`);
      expect(accepted.body).toMatchObject({ kind: "products", status: "queued", sizeBytes: file.length });
      const seen = await untilFinished(accepted.body.jobId);
      const last = seen[seen.length - 1].body;
      expect(last).toMatchObject({
        status: "done",
        totalRows: 6000,
        processedRows: 6000,
        result: { inserted: 6000, updated: 0, unchanged: 0 },
      });
      for (const s of seen) expect(s.body.processedRows).toBeLessThanOrEqual(6000);
      expect(
        await harness().db.manager.getRepository(ProductEntity).countBy({ name: "稳健理财1号" }),
      ).toBeGreaterThanOrEqual(6000);

      const before = await count(ProductEntity);
      for (let i = 1; i < rows.length; i++) rows[i] = product(`IMP-JOB2-${i}`);
      rows[5999] = product("IMP-JOB-BAD", { risk: "R6" });
      const bad = await upload("products", "hq.admin", form(csvUtf8(rows), "big-bad.csv"));
      expect(bad.status).toBe(202);
      const failed = (await untilFinished(bad.body.jobId)).pop()!.body;
      expect(failed).toMatchObject({ status: "invalid" });
      expect(brief(failed.errors)).toEqual([{ row: 6000, column: "risk", code: "UNKNOWN_VALUE" }]);
      expect(await count(ProductEntity)).toBe(before);

      // Jobs are the importer's business: another branch cannot look; an unknown id is 404.
      expectError(
        await harness().api("GET", `/api/v1/imports/${bad.body.jobId}`, { token: await token("sh.admin") }),
        403,
        "HUB_FORBIDDEN",
      );
      expectError(
        await harness().api("GET", "/api/v1/imports/00000000-0000-4000-8000-000000000000", {
          token: await token("hq.admin"),
        }),
        404,
        "HUB_IMPORT_JOB_NOT_FOUND",
      );
    });

    it("offers templates that import as they are", async () => {
      const hq = await token("hq.admin");
      const csv = await harness().api("GET", "/api/v1/imports/templates/customers?format=csv", { token: hq });
      expect(csv.status).toBe(200);
      expect(csv.headers.get("content-type")).toMatch(/^text\/csv/);
      expect(csv.headers.get("content-disposition")).toBe(
        'attachment; filename="customers-import-template.csv"',
      );
      expect(csv.text.replace(/^\uFEFF/, "").split("\r\n")[0]).toBe(CUSTOMER_HEADER_ZH.join(","));

      const res = await fetch(`${harness().url}/api/v1/imports/templates/products?lang=en`, {
        headers: { authorization: `Bearer ${hq}` },
      });
      expect(res.headers.get("content-type")).toBe(XLSX_TYPE);
      const file = Buffer.from(await res.arrayBuffer());
      const workbook = new ExcelJS.Workbook();
      await workbook.xlsx.load(file as unknown as ArrayBuffer);
      expect((workbook.worksheets[0].getRow(1).values as unknown[]).slice(1)).toEqual(PRODUCT_HEADER_EN);

      const imported = await upload(
        "products",
        "hq.admin",
        form(file, "products-import-template-en.xlsx", XLSX_TYPE),
      );
      expect(imported.status).toBe(200);
      expect(imported.body.inserted + imported.body.updated + imported.body.unchanged).toBe(1);

      expectError(
        await harness().api("GET", "/api/v1/imports/templates/orders", { token: hq }),
        422,
        "HUB_VALIDATION_FAILED",
      );
      expectError(
        await harness().api("GET", "/api/v1/imports/templates/customers", { token: await token("sh.admin") }),
        403,
        "HUB_FORBIDDEN",
      );
    });
  });
}
