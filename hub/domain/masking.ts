/**
 * Masks for personal data shown on screens and in exports (issue 3: ID numbers and phones are returned masked,
 * e.g. `3101**********1234`, except to roles and actions that need them).
 *
 * All masks count characters as Unicode code points, so a full-width digit or a rare character outside the
 * BMP (𠮷) is one character and masks to one `*`; the output always has as many characters as the input. No
 * trimming or normalisation: values are stored normalised, and a mask must not change what it is given beyond
 * hiding it. Pure functions only.
 */

const MASK = "*";

/**
 * Keeps `keepStart` characters at the front and `keepEnd` at the back and masks the rest, one `*` per
 * character. If the two kept parts would meet or overlap, everything is masked rather than reveal it all.
 */
export function maskMiddle(value: string, keepStart: number, keepEnd: number): string {
  if (!Number.isSafeInteger(keepStart) || !Number.isSafeInteger(keepEnd) || keepStart < 0 || keepEnd < 0) {
    throw new RangeError(`keepStart and keepEnd must be whole numbers ≥ 0: ${keepStart}, ${keepEnd}`);
  }
  const chars = Array.from(value);
  if (keepStart + keepEnd >= chars.length) return MASK.repeat(chars.length);
  return (
    chars.slice(0, keepStart).join("") +
    MASK.repeat(chars.length - keepStart - keepEnd) +
    chars.slice(chars.length - keepEnd).join("")
  );
}

/**
 * ID numbers: first 4 and last 4 for an 18-character 居民身份证 (`310101199001011234` → `3101**********1234`:
 * region, then the check digits staff use to confirm identity). Shorter numbers — old 15-digit IDs, passports,
 * permits — keep a quarter of their length at each end, so that never more than half is revealed:
 * 16 and more keep 4 + 4, 12–15 keep 3 + 3, 8–11 keep 2 + 2, 4–7 keep 1 + 1, and 1–3 are masked entirely.
 */
export function maskIdNumber(id: string): string {
  const keep = Math.min(4, Math.floor(Array.from(id).length / 4));
  return maskMiddle(id, keep, keep);
}

/**
 * Phones: an 11-digit mainland mobile keeps its first 3 (carrier prefix) and last 4 (`13812345678` →
 * `138****5678`); any number longer than 8 characters the same. Shorter ones keep only the last 2, and those
 * under 4 characters are masked entirely so that a short value is never shown in full or in its greater part.
 */
export function maskPhone(phone: string): string {
  const length = Array.from(phone).length;
  if (length > 8) return maskMiddle(phone, 3, 4);
  if (length >= 4) return maskMiddle(phone, 0, 2);
  return maskMiddle(phone, 0, 0);
}

/**
 * Names: the first character (usually the surname) is kept, every other one masked: 张三 → 张*, 欧阳娜娜 → 欧***.
 * A one-character name is masked entirely, since keeping its first character would reveal all of it.
 */
export function maskName(name: string): string {
  return maskMiddle(name, 1, 0);
}
