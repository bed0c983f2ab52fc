import { text, type IdType } from "../sdk";

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
