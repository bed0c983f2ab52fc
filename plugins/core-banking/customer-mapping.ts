import { cardLast4, day, text, type IdType, type LegacyCustomer } from "../sdk";

/** The core's certificate types (征信 codes) in the hub's words. */
const CERT_TYPES: Readonly<Record<string, IdType>> = {
  "0": "ID_CARD",
  "2": "PASSPORT",
  "5": "HK_MO_PASS",
  "6": "TW_PASS",
  "8": "FOREIGN_PR",
};

export function idTypeOfCertType(code: unknown): IdType {
  return CERT_TYPES[text(code) ?? ""] ?? "OTHER";
}

export function customer(fields: {
  customerNo: unknown;
  name: unknown;
  idType: IdType;
  idNumber: unknown;
  phone: unknown;
  birthDate: unknown;
  cards: readonly unknown[];
  orgCode: unknown;
}): LegacyCustomer {
  return {
    customerNo: text(fields.customerNo),
    name: text(fields.name),
    idType: fields.idType,
    idNumber: text(fields.idNumber)?.toUpperCase(),
    phone: text(fields.phone),
    birthDate: day(fields.birthDate),
    cardLast4: cardLast4(fields.cards),
    orgCode: text(fields.orgCode),
  } as LegacyCustomer;
}
