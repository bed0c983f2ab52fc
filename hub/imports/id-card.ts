/**
 * Resident identity card numbers (居民身份证号码, GB 11643-1999), pure: 6-digit address code, 8-digit birth date
 * YYYYMMDD, 3-digit sequence, and a check digit computed as ISO 7064 MOD 11-2 ("X" stands for 10).
 */

import { isValidYmd } from "./dates";

const SHAPE = /^[1-9]\d{16}[\dX]$/;
const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2] as const;
const CHECK_CHARACTERS = "10X98765432";

/** The check character for the first 17 digits of an ID card number. */
export function idCardCheckCharacter(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += (first17.charCodeAt(i) - 48) * WEIGHTS[i];
  return CHECK_CHARACTERS[sum % 11];
}

export type IdCardProblem = "SHAPE" | "BIRTH_DATE" | "CHECK_DIGIT";

/**
 * What is wrong with an 18-character ID card number (upper-case "X"), or null when it is well-formed. The birth
 * date must exist and not lie after `today` (YYYY-MM-DD).
 */
export function idCardProblem(idNumber: string, today: string): IdCardProblem | null {
  if (!SHAPE.test(idNumber)) return "SHAPE";
  const birth = idCardBirthDate(idNumber);
  const year = Number(idNumber.slice(6, 10));
  const month = Number(idNumber.slice(10, 12));
  const day = Number(idNumber.slice(12, 14));
  if (!isValidYmd(year, month, day) || birth > today) return "BIRTH_DATE";
  if (idCardCheckCharacter(idNumber) !== idNumber[17]) return "CHECK_DIGIT";
  return null;
}

/** The birth date encoded in an 18-character ID card number, as YYYY-MM-DD. */
export function idCardBirthDate(idNumber: string): string {
  return `${idNumber.slice(6, 10)}-${idNumber.slice(10, 12)}-${idNumber.slice(12, 14)}`;
}
