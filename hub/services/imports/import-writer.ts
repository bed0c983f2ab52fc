import crypto from "node:crypto";
import { In, type EntityManager, type EntitySchema, type ObjectLiteral } from "typeorm";
import {
  CustomerEntity,
  ProductEntity,
  RecordingOverrideEntity,
  RiskAssessmentEntity,
  type CustomerRow as StoredCustomer,
  type ProductRow as StoredProduct,
  type RiskAssessmentRow,
} from "../../db/entities";
import { defaultValidUntil } from "../../domain/risk";
import {
  mergeCustomer,
  mergeProduct,
  type AssessmentFacts,
  type CustomerFacts,
  type CustomerRow,
  type ImportError,
  type ProductFacts,
  type ProductMerge,
  type ProductRow,
  yieldToEventLoop,
} from "../../imports";
import type { HubRuntime } from "../../runtime";
import { readValiditySetting } from "../risk-lookup/assessment-settings";

export interface ImportCounts {
  inserted: number;
  updated: number;
  unchanged: number;
}

export type WriteResult = { counts: ImportCounts } | { errors: ImportError[] };

export interface ImporterRef {
  username: string;
  orgCode: string;
  headOffice: boolean;
}

/** Rows per SELECT ... IN and per multi-row INSERT: under every backend's limits (Oracle: 1000 in a list). */
const BATCH = 500;

function* batches<T>(items: readonly T[], size = BATCH): Generator<T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}

async function insertAll<T extends ObjectLiteral>(m: EntityManager, entity: EntitySchema<T>, rows: T[]) {
  for (const batch of batches(rows)) {
    await m.createQueryBuilder().insert().into(entity).values(batch).updateEntity(false).execute();
  }
}

/**
 * Upserts valid product rows by code inside the caller's transaction. Every row is checked against what is stored
 * before anything is written: when a branch's file would change what head office set, every such row is returned
 * as an error and nothing is written.
 */
export async function writeProducts(
  rt: HubRuntime,
  m: EntityManager,
  rows: readonly ProductRow[],
  columns: readonly string[],
  importer: ImporterRef,
  progress: (done: number) => void,
): Promise<WriteResult> {
  const present = new Set(columns);
  const now = rt.clock().toISOString();
  const errors: ImportError[] = [];
  const counts: ImportCounts = { inserted: 0, updated: 0, unchanged: 0 };
  const planned: Array<{ row: ProductRow; merged: ProductMerge; before: ProductFacts | null }> = [];

  for (const batch of batches(rows)) {
    const codes = batch.map((r) => r.productCode);
    const stored = new Map(
      (await m.getRepository(ProductEntity).find({ where: { code: In(codes) } })).map((p) => [p.code, p]),
    );
    const storedOverrides = importer.headOffice
      ? new Map<string, boolean>()
      : new Map(
          (
            await m
              .getRepository(RecordingOverrideEntity)
              .find({ where: { orgCode: importer.orgCode, productCode: In(codes) } })
          ).map((o) => [o.productCode, Boolean(o.required)]),
        );
    for (const row of batch) {
      const found = stored.get(row.productCode);
      const before = found ? productFacts(found) : null;
      const merged = mergeProduct(
        row,
        before,
        present,
        importer,
        storedOverrides.get(row.productCode) ?? null,
      );
      counts[COUNTER[merged.outcome]]++;
      errors.push(...merged.errors);
      if (merged.outcome !== "unchanged" || merged.override?.changed) planned.push({ row, merged, before });
    }
    await yieldToEventLoop();
  }
  if (errors.length) return { errors };

  let done = rows.length - planned.length;
  for (const batch of batches(planned)) {
    const inserts: StoredProduct[] = [];
    for (const { row, merged, before } of batch) {
      if (merged.outcome === "insert") {
        inserts.push({
          code: row.productCode,
          ...merged.product,
          features: null,
          risks: null,
          customerRights: null,
          createdAt: now,
          updatedAt: now,
        });
      } else if (before && !same(merged.product, before)) {
        await m
          .getRepository(ProductEntity)
          .update({ code: row.productCode }, { ...merged.product, updatedAt: now });
      }
      if (merged.override?.changed) {
        await m.getRepository(RecordingOverrideEntity).save({
          productCode: row.productCode,
          orgCode: importer.orgCode,
          required: merged.override.required,
          setBy: importer.username,
          setAt: now,
        });
      }
    }
    await insertAll(m, ProductEntity, inserts);
    done += batch.length;
    progress(done);
    await yieldToEventLoop();
  }
  return { counts };
}

const COUNTER = { insert: "inserted", update: "updated", unchanged: "unchanged" } as const;

/** Field by field; a and b have the same keys. */
function same<T extends object>(a: T, b: T): boolean {
  return (Object.keys(a) as (keyof T)[]).every((k) => a[k] === b[k]);
}

function productFacts(p: StoredProduct): ProductFacts {
  return {
    name: p.name,
    type: p.type,
    risk: p.risk,
    issuer: p.issuer,
    inceptionDate: p.inceptionDate,
    maturityDate: p.maturityDate,
    termMonths: p.termMonths,
    recordingRequired: p.recordingRequired === null ? null : Boolean(p.recordingRequired),
  };
}

/** Upserts valid customer rows by customer number and adds their imported assessments, in the caller's transaction. */
export async function writeCustomers(
  rt: HubRuntime,
  m: EntityManager,
  rows: readonly CustomerRow[],
  columns: readonly string[],
  importer: ImporterRef,
  progress: (done: number) => void,
): Promise<WriteResult> {
  const present = new Set(columns);
  const now = rt.clock().toISOString();
  const { validityMonths: months } = await readValiditySetting(m);
  const validUntilFor = (assessedAt: string) => defaultValidUntil(assessedAt, months);
  const counts: ImportCounts = { inserted: 0, updated: 0, unchanged: 0 };
  let done = 0;

  for (const batch of batches(rows)) {
    const numbers = batch.map((r) => r.customerNo);
    const stored = new Map(
      (await m.getRepository(CustomerEntity).find({ where: { customerNo: In(numbers) } })).map((c) => [
        c.customerNo,
        c,
      ]),
    );
    const history = new Map<string, AssessmentFacts[]>();
    if (stored.size) {
      for (const a of await m
        .getRepository(RiskAssessmentEntity)
        .find({ where: { customerNo: In([...stored.keys()]) } })) {
        const list = history.get(a.customerNo) ?? [];
        list.push({ level: a.level, assessedAt: a.assessedAt, validUntil: a.validUntil });
        history.set(a.customerNo, list);
      }
    }

    const inserts: StoredCustomer[] = [];
    const assessments: RiskAssessmentRow[] = [];
    for (const row of batch) {
      const before = stored.get(row.customerNo);
      const beforeFacts = before ? customerFacts(rt, before) : null;
      const merged = mergeCustomer(
        row,
        beforeFacts,
        history.get(row.customerNo) ?? [],
        present,
        validUntilFor,
      );
      counts[COUNTER[merged.outcome]]++;
      const c = merged.customer;
      if (merged.outcome === "insert") {
        inserts.push({ customerNo: row.customerNo, ...encrypted(rt, c), createdAt: now, updatedAt: now });
      } else if (beforeFacts && !same(c, beforeFacts)) {
        await m
          .getRepository(CustomerEntity)
          .update({ customerNo: row.customerNo }, { ...encrypted(rt, c), updatedAt: now });
      }
      if (merged.assessment) {
        assessments.push({
          id: crypto.randomUUID(),
          customerNo: row.customerNo,
          ...merged.assessment,
          source: "import",
          questionnaireVersion: null,
          score: null,
          evidenceRef: null,
          recordedBy: importer.username,
          recordedAt: now,
        });
      }
    }
    await insertAll(m, CustomerEntity, inserts);
    await insertAll(m, RiskAssessmentEntity, assessments);
    done += batch.length;
    progress(done);
    await yieldToEventLoop();
  }
  return { counts };
}

function customerFacts(rt: HubRuntime, c: StoredCustomer): CustomerFacts {
  return {
    name: c.name,
    idType: c.idType,
    idNumber: rt.fields.decrypt(c.idNumberEnc),
    phone: c.phoneEnc === null ? null : rt.fields.decrypt(c.phoneEnc),
    birthDate: c.birthDate,
  };
}

function encrypted(rt: HubRuntime, c: CustomerFacts) {
  return {
    name: c.name,
    idType: c.idType,
    idNumberEnc: rt.fields.encrypt(c.idNumber),
    idNumberIndex: rt.fields.blindIndex("id", c.idNumber),
    phoneEnc: c.phone === null ? null : rt.fields.encrypt(c.phone),
    birthDate: c.birthDate,
  };
}
