import { CUSTOMER_HEADER_EN, PRODUCT_HEADER_EN } from "../../test/fixtures/imports/files";
import { mergeCustomer, mergeProduct, type CustomerFacts, type ProductFacts } from "./merge";
import type { CustomerRow, ProductRow } from "./validate";

const ALL_PRODUCT_COLUMNS = new Set(PRODUCT_HEADER_EN);
const REQUIRED_PRODUCT_COLUMNS = new Set(["productCode", "name", "type", "risk"]);
const HQ = { headOffice: true } as const;
const BRANCH = { headOffice: false } as const;

function productRow(overrides: Partial<ProductRow> = {}): ProductRow {
  return {
    row: 2,
    productCode: "P1",
    name: "稳健理财1号",
    type: "WEALTH",
    risk: "R2",
    issuer: "示例理财",
    inceptionDate: "2025-01-15",
    maturityDate: "2026-01-14",
    termMonths: 12,
    recordingRequired: true,
    ...overrides,
  };
}

const STORED_PRODUCT: ProductFacts = {
  name: "稳健理财1号",
  type: "WEALTH",
  risk: "R2",
  issuer: "示例理财",
  inceptionDate: "2025-01-15",
  maturityDate: "2026-01-14",
  termMonths: 12,
  recordingRequired: true,
};

describe("mergeProduct", () => {
  it("inserts a new product as the file says", () => {
    const merged = mergeProduct(productRow(), null, ALL_PRODUCT_COLUMNS, HQ);
    expect(merged).toEqual({ outcome: "insert", product: STORED_PRODUCT, override: undefined, errors: [] });
  });

  it("inserts with nulls for the optional columns the file does not have", () => {
    const merged = mergeProduct(productRow(), null, REQUIRED_PRODUCT_COLUMNS, HQ);
    expect(merged.product).toEqual({
      name: "稳健理财1号",
      type: "WEALTH",
      risk: "R2",
      issuer: null,
      inceptionDate: null,
      maturityDate: null,
      termMonths: null,
      recordingRequired: null,
    });
  });

  it("leaves an identical product unchanged", () => {
    expect(mergeProduct(productRow(), STORED_PRODUCT, ALL_PRODUCT_COLUMNS, HQ)).toMatchObject({
      outcome: "unchanged",
      product: STORED_PRODUCT,
    });
  });

  it("updates what differs, head office importing", () => {
    const merged = mergeProduct(
      productRow({ risk: "R3", maturityDate: null }),
      STORED_PRODUCT,
      ALL_PRODUCT_COLUMNS,
      HQ,
    );
    expect(merged).toMatchObject({
      outcome: "update",
      product: { ...STORED_PRODUCT, risk: "R3", maturityDate: null },
      errors: [],
    });
  });

  it("keeps stored values of absent columns, and clears those present but empty", () => {
    const absent = mergeProduct(
      productRow({ issuer: null, maturityDate: null }),
      STORED_PRODUCT,
      REQUIRED_PRODUCT_COLUMNS,
      HQ,
    );
    expect(absent).toMatchObject({ outcome: "unchanged", product: STORED_PRODUCT });
    const cleared = mergeProduct(productRow({ issuer: null }), STORED_PRODUCT, ALL_PRODUCT_COLUMNS, HQ);
    expect(cleared).toMatchObject({ outcome: "update", product: { ...STORED_PRODUCT, issuer: null } });
  });

  it("sets the product's own recording flag from head office, back to the type default when empty", () => {
    const off = mergeProduct(
      productRow({ recordingRequired: false }),
      STORED_PRODUCT,
      ALL_PRODUCT_COLUMNS,
      HQ,
    );
    expect(off).toMatchObject({
      outcome: "update",
      product: { recordingRequired: false },
      override: undefined,
    });
    const byType = mergeProduct(
      productRow({ recordingRequired: null }),
      STORED_PRODUCT,
      ALL_PRODUCT_COLUMNS,
      HQ,
    );
    expect(byType).toMatchObject({ outcome: "update", product: { recordingRequired: null } });
  });

  describe("a branch importing", () => {
    it("adds a new product without a bank-wide recording flag; its 是否双录 is its subtree's decision", () => {
      const merged = mergeProduct(
        productRow({ recordingRequired: false }),
        null,
        ALL_PRODUCT_COLUMNS,
        BRANCH,
      );
      expect(merged).toEqual({
        outcome: "insert",
        product: { ...STORED_PRODUCT, recordingRequired: null },
        override: { required: false, changed: true },
        errors: [],
      });
    });

    it("changes only its own decision on an existing product", () => {
      const decided = mergeProduct(
        productRow({ recordingRequired: false }),
        STORED_PRODUCT,
        ALL_PRODUCT_COLUMNS,
        BRANCH,
      );
      expect(decided).toEqual({
        outcome: "update",
        product: STORED_PRODUCT,
        override: { required: false, changed: true },
        errors: [],
      });
      const same = mergeProduct(
        productRow({ recordingRequired: false }),
        STORED_PRODUCT,
        ALL_PRODUCT_COLUMNS,
        BRANCH,
        false,
      );
      expect(same).toMatchObject({ outcome: "unchanged", override: { required: false, changed: false } });
    });

    it("makes no decision when the column is absent or the cell empty", () => {
      expect(mergeProduct(productRow(), STORED_PRODUCT, REQUIRED_PRODUCT_COLUMNS, BRANCH)).toMatchObject({
        outcome: "unchanged",
        override: undefined,
      });
      expect(
        mergeProduct(productRow({ recordingRequired: null }), STORED_PRODUCT, ALL_PRODUCT_COLUMNS, BRANCH),
      ).toMatchObject({ outcome: "unchanged", override: undefined });
    });

    it("may not change what head office set: one error per field, named by its Chinese header", () => {
      const merged = mergeProduct(
        productRow({ row: 7, name: "改名", risk: "R1", termMonths: 6 }),
        STORED_PRODUCT,
        ALL_PRODUCT_COLUMNS,
        BRANCH,
      );
      expect(merged.outcome).toBe("unchanged");
      expect(merged.product).toEqual(STORED_PRODUCT);
      expect(merged.errors.map(({ row, column, code }) => ({ row, column, code }))).toEqual([
        { row: 7, column: "产品名称", code: "HEAD_OFFICE_FIELD" },
        { row: 7, column: "风险等级", code: "HEAD_OFFICE_FIELD" },
        { row: 7, column: "期限(月)", code: "HEAD_OFFICE_FIELD" },
      ]);
      expect(merged.errors[1].message).toContain('"R2"');
    });
  });
});

const ALL_CUSTOMER_COLUMNS = new Set(CUSTOMER_HEADER_EN);
const REQUIRED_CUSTOMER_COLUMNS = new Set(["customerNo", "name", "idType", "idNumber"]);

function customerRow(overrides: Partial<CustomerRow> = {}): CustomerRow {
  return {
    row: 2,
    customerNo: "C1",
    name: "张三",
    idType: "ID_CARD",
    idNumber: "310101199003071230",
    phone: "13800138000",
    birthDate: "1990-03-07",
    riskLevel: "C3",
    assessedAt: "2025-06-30",
    validUntil: "2026-06-29",
    ...overrides,
  };
}

const STORED_CUSTOMER: CustomerFacts = {
  name: "张三",
  idType: "ID_CARD",
  idNumber: "310101199003071230",
  phone: "13800138000",
  birthDate: "1990-03-07",
};
const oneYear = (assessedAt: string) => `${Number(assessedAt.slice(0, 4)) + 1}${assessedAt.slice(4, 8)}XX`;

describe("mergeCustomer", () => {
  it("inserts a new customer with the file's assessment", () => {
    expect(mergeCustomer(customerRow(), null, [], ALL_CUSTOMER_COLUMNS, oneYear)).toEqual({
      outcome: "insert",
      customer: STORED_CUSTOMER,
      assessment: { level: "C3", assessedAt: "2025-06-30", validUntil: "2026-06-29" },
    });
  });

  it("computes valid-until with head office's period when the file leaves it empty", () => {
    const merged = mergeCustomer(customerRow({ validUntil: null }), null, [], ALL_CUSTOMER_COLUMNS, oneYear);
    expect(merged.assessment).toEqual({ level: "C3", assessedAt: "2025-06-30", validUntil: "2026-06-XX" });
  });

  it("adds no assessment when the row has none", () => {
    const merged = mergeCustomer(
      customerRow({ riskLevel: null, assessedAt: null, validUntil: null }),
      null,
      [],
      ALL_CUSTOMER_COLUMNS,
      oneYear,
    );
    expect(merged.assessment).toBeNull();
  });

  it("leaves a customer unchanged when identity and assessment are already stored", () => {
    const history = [{ level: "C3", assessedAt: "2025-06-30", validUntil: "2026-06-29" }];
    expect(mergeCustomer(customerRow(), STORED_CUSTOMER, history, ALL_CUSTOMER_COLUMNS, oneYear)).toEqual({
      outcome: "unchanged",
      customer: STORED_CUSTOMER,
      assessment: null,
    });
  });

  it("updates for a new assessment alone, even an older one (history keeps both; the latest wins elsewhere)", () => {
    const history = [{ level: "C3", assessedAt: "2025-06-30", validUntil: "2026-06-29" }];
    const merged = mergeCustomer(
      customerRow({ riskLevel: "C4", assessedAt: "2024-01-01", validUntil: "2024-12-31" }),
      STORED_CUSTOMER,
      history,
      ALL_CUSTOMER_COLUMNS,
      oneYear,
    );
    expect(merged).toEqual({
      outcome: "update",
      customer: STORED_CUSTOMER,
      assessment: { level: "C4", assessedAt: "2024-01-01", validUntil: "2024-12-31" },
    });
  });

  it("updates changed identity fields; absent columns keep what is stored, present empty ones clear it", () => {
    const phone = mergeCustomer(
      customerRow({ phone: "13900139000" }),
      STORED_CUSTOMER,
      [],
      ALL_CUSTOMER_COLUMNS,
      oneYear,
    );
    expect(phone).toMatchObject({
      outcome: "update",
      customer: { ...STORED_CUSTOMER, phone: "13900139000" },
    });

    const absent = mergeCustomer(
      customerRow({ phone: null, birthDate: null, riskLevel: null, assessedAt: null, validUntil: null }),
      STORED_CUSTOMER,
      [],
      REQUIRED_CUSTOMER_COLUMNS,
      oneYear,
    );
    expect(absent).toEqual({ outcome: "unchanged", customer: STORED_CUSTOMER, assessment: null });

    const cleared = mergeCustomer(
      customerRow({ phone: null }),
      STORED_CUSTOMER,
      [{ level: "C3", assessedAt: "2025-06-30", validUntil: "2026-06-29" }],
      ALL_CUSTOMER_COLUMNS,
      oneYear,
    );
    expect(cleared).toEqual({
      outcome: "update",
      customer: { ...STORED_CUSTOMER, phone: null },
      assessment: null,
    });
  });

  it("inserts with nulls for absent optional columns", () => {
    const merged = mergeCustomer(
      customerRow({ phone: null, birthDate: null }),
      null,
      [],
      REQUIRED_CUSTOMER_COLUMNS,
      oneYear,
    );
    expect(merged.customer).toEqual({ ...STORED_CUSTOMER, phone: null, birthDate: null });
  });
});
