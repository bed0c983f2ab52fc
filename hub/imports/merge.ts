/**
 * How a valid import row meets what is stored (pure): insert, update or leave unchanged, keeping what the file
 * does not say. A column absent from the file leaves the stored value alone; a column present but empty clears it.
 *
 * Products belong to head office: a branch's file may add products and decide "是否双录" for its own subtree, but
 * may not change what head office set for an existing product (name, type, risk, dates, ...).
 */

import { bilingual, type ImportError } from "./errors";
import { COLUMNS } from "./columns";
import type { CustomerRow, ProductRow } from "./validate";

export type MergeOutcome = "insert" | "update" | "unchanged";

/** A product's master data as stored (the texts of the scripts are not imported and are kept). */
export interface ProductFacts {
  name: string;
  type: string;
  risk: string;
  issuer: string | null;
  inceptionDate: string | null;
  maturityDate: string | null;
  termMonths: number | null;
  /** null = the product type's default. */
  recordingRequired: boolean | null;
}

const PRODUCT_FIELDS = [
  "name",
  "type",
  "risk",
  "issuer",
  "inceptionDate",
  "maturityDate",
  "termMonths",
  "recordingRequired",
] as const satisfies readonly (keyof ProductFacts)[];

/** Who imports: head office decides the product itself; a branch only its subtree's recording decision. */
export type Importer = { headOffice: true } | { headOffice: false };

export interface ProductMerge {
  outcome: MergeOutcome;
  /** The product as it must be stored (unchanged: as stored). */
  product: ProductFacts;
  /** A branch's "是否双录" for its subtree; undefined when the file does not say (or head office imports). */
  override?: { required: boolean; changed: boolean };
  errors: ImportError[];
}

function headerOf(key: string, kind: "products" | "customers"): string {
  return COLUMNS[kind].find((c) => c.key === key)?.zh ?? key;
}

/**
 * @param stored the product as stored, or null when new
 * @param storedOverride the importing branch's stored decision for this product, if any
 * @param present the keys of the columns the file has
 */
export function mergeProduct(
  row: ProductRow,
  stored: ProductFacts | null,
  present: ReadonlySet<string>,
  importer: Importer,
  storedOverride: boolean | null = null,
): ProductMerge {
  const given = (key: (typeof PRODUCT_FIELDS)[number]) => present.has(key);
  const fromFile: ProductFacts = {
    name: row.name,
    type: row.type,
    risk: row.risk,
    issuer: row.issuer,
    inceptionDate: row.inceptionDate,
    maturityDate: row.maturityDate,
    termMonths: row.termMonths,
    recordingRequired: row.recordingRequired,
  };
  // A branch's 是否双录 is its own decision for its subtree, never the product's bank-wide value.
  const branchDecides = !importer.headOffice && given("recordingRequired");
  const override =
    branchDecides && row.recordingRequired !== null
      ? { required: row.recordingRequired, changed: storedOverride !== row.recordingRequired }
      : undefined;

  if (!stored) {
    const product = { ...fromFile };
    if (!importer.headOffice) product.recordingRequired = null;
    for (const key of PRODUCT_FIELDS) if (!given(key)) product[key] = null as never;
    return { outcome: "insert", product, override, errors: [] };
  }

  const product: ProductFacts = { ...stored };
  const errors: ImportError[] = [];
  for (const key of PRODUCT_FIELDS) {
    if (!given(key) || (key === "recordingRequired" && !importer.headOffice)) continue;
    if (fromFile[key] === stored[key]) continue;
    if (!importer.headOffice) {
      errors.push({
        row: row.row,
        column: headerOf(key, "products"),
        code: "HEAD_OFFICE_FIELD",
        message: bilingual(
          `产品 ${row.productCode} 已存在，此项只能由总行修改（现为“${stored[key] ?? ""}”）`,
          `product ${row.productCode} exists; only head office may change its ${key} (now "${stored[key] ?? ""}")`,
        ),
      });
      continue;
    }
    (product as unknown as Record<string, unknown>)[key] = fromFile[key];
  }
  if (errors.length) return { outcome: "unchanged", product: stored, errors };
  const changed = PRODUCT_FIELDS.some((key) => product[key] !== stored[key]);
  return {
    outcome: changed || override?.changed ? "update" : "unchanged",
    product,
    override,
    errors,
  };
}

/** A customer's identity as stored, decrypted. */
export interface CustomerFacts {
  name: string;
  idType: string;
  idNumber: string;
  phone: string | null;
  birthDate: string | null;
}

export interface AssessmentFacts {
  level: string;
  assessedAt: string;
  validUntil: string;
}

const CUSTOMER_FIELDS = [
  "name",
  "idType",
  "idNumber",
  "phone",
  "birthDate",
] as const satisfies readonly (keyof CustomerFacts)[];

export interface CustomerMerge {
  outcome: MergeOutcome;
  customer: CustomerFacts;
  /** A new import assessment to add to the history; null when the file has none or the same is stored. */
  assessment: AssessmentFacts | null;
}

/**
 * @param storedAssessments the customer's assessment history (any source)
 * @param validUntilFor head office's default validity: the valid-until day of an assessment made on a day
 */
export function mergeCustomer(
  row: CustomerRow,
  stored: CustomerFacts | null,
  storedAssessments: readonly AssessmentFacts[],
  present: ReadonlySet<string>,
  validUntilFor: (assessedAt: string) => string,
): CustomerMerge {
  const fromFile: CustomerFacts = {
    name: row.name,
    idType: row.idType,
    idNumber: row.idNumber,
    phone: row.phone,
    birthDate: row.birthDate,
  };
  const customer: CustomerFacts = stored ? { ...stored } : { ...fromFile };
  for (const key of CUSTOMER_FIELDS) {
    if (present.has(key)) (customer as unknown as Record<string, unknown>)[key] = fromFile[key];
    else if (!stored) (customer as unknown as Record<string, unknown>)[key] = null;
  }

  let assessment: AssessmentFacts | null = null;
  if (row.riskLevel !== null && row.assessedAt !== null) {
    const candidate = {
      level: row.riskLevel,
      assessedAt: row.assessedAt,
      validUntil: row.validUntil ?? validUntilFor(row.assessedAt),
    };
    const known = storedAssessments.some(
      (a) =>
        a.level === candidate.level &&
        a.assessedAt === candidate.assessedAt &&
        a.validUntil === candidate.validUntil,
    );
    if (!known) assessment = candidate;
  }

  if (!stored) return { outcome: "insert", customer, assessment };
  const changed = CUSTOMER_FIELDS.some((key) => customer[key] !== stored[key]);
  return { outcome: changed || assessment ? "update" : "unchanged", customer, assessment };
}
