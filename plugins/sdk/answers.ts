/**
 * Capability answers built from the fields of one record as a legacy system keeps it, whatever its column or element
 * names: each plugin reads its own SQL view or SOAP answer and hands the raw values here. The host checks the result
 * against the capability's response schema.
 */
import type { CustomerLevel, LegacyCustomer, RiskLatestAssessmentResponse } from "./capabilities";
import { cardLast4, day, text } from "./values";

/** One assessment as a system keeps it: the level as `C1`…`C5`, days in any form `day()` reads. */
export interface RawAssessment {
  level: unknown;
  assessedAt: unknown;
  validUntil: unknown;
  orgCode: unknown;
}

/** The `risk.latestAssessment` answer for `customerNo`; `null` or `undefined`: the system holds none. */
export function assessmentAnswer(
  customerNo: string,
  record: RawAssessment | null | undefined,
): RiskLatestAssessmentResponse {
  return {
    customerNo,
    assessment: record
      ? {
          level: text(record.level) as CustomerLevel,
          assessedAt: day(record.assessedAt)!,
          validUntil: day(record.validUntil)!,
          orgCode: text(record.orgCode),
        }
      : null,
  };
}

/** One customer as a system keeps it; `idType` already in the hub's words, else `OTHER`. */
export interface RawCustomer {
  customerNo: unknown;
  name: unknown;
  idType: unknown;
  idNumber: unknown;
  phone: unknown;
  birthDate: unknown;
  /** Every card number the system lists (only the last four digits are kept). */
  cards: readonly unknown[];
  orgCode: unknown;
}

/** A `customers.lookup` entry: identity numbers upper-cased (a trailing x is X), cards reduced to their last four. */
export function legacyCustomer(fields: RawCustomer): LegacyCustomer {
  return {
    customerNo: text(fields.customerNo),
    name: text(fields.name),
    idType: text(fields.idType) ?? "OTHER",
    idNumber: text(fields.idNumber)?.toUpperCase(),
    phone: text(fields.phone),
    birthDate: day(fields.birthDate),
    cardLast4: cardLast4(fields.cards),
    orgCode: text(fields.orgCode),
  } as LegacyCustomer;
}
