/**
 * Masks for ID numbers, phones and names. Expectations are literal; every case also checks that the mask keeps
 * the character count and never reveals more than the rule allows.
 */
import { maskIdNumber, maskMiddle, maskName, maskPhone } from "./masking";

const length = (s: string): number => Array.from(s).length;
const revealed = (s: string): number => Array.from(s).filter((c) => c !== "*").length;

describe("maskIdNumber", () => {
  it.each([
    ["310101199001011234", "3101**********1234"], // 18-digit 居民身份证
    ["31010119900101123X", "3101**********123X"], // check character X
    ["310101900101123", "310*********123"], // old 15-digit ID: 3 + 3
    ["1234567890123456", "1234********3456"], // 16: 4 + 4, exactly half
    ["123456789012", "123******012"], // 12: 3 + 3
    ["E12345678", "E1*****78"], // passport, 9: 2 + 2
    ["H1234567", "H1****67"], // 8: 2 + 2, exactly half
    ["1234567", "1*****7"], // 7: 1 + 1
    ["1234", "1**4"], // 4: 1 + 1
    ["123", "***"], // 1–3: all masked
    ["12", "**"],
    ["1", "*"],
    ["", ""],
    ["   ", "***"], // whitespace is masked like anything else, not trimmed
    ["        ", "  ****  "], // 8 spaces: 2 + 2 kept, which are spaces
    ["３１０１０１１９９００１０１１２３４", "３１０１**********１２３４"], // full-width digits: 18 characters
    ["３１０１", "３**１"],
    ["𠮷𠮷𠮷𠮷𠮷𠮷𠮷𠮷𠮷", "𠮷𠮷*****𠮷𠮷"], // characters outside the BMP count once each
  ])("%j → %j", (id, masked) => {
    expect(maskIdNumber(id)).toBe(masked);
    expect(length(masked)).toBe(length(id));
    expect(revealed(masked)).toBeLessThanOrEqual(length(id) / 2);
  });

  it("never reveals more than half, for every length from 0 to 40", () => {
    for (let n = 0; n <= 40; n++) {
      const id = "9".repeat(n);
      const masked = maskIdNumber(id);
      expect(length(masked)).toBe(n);
      expect(revealed(masked)).toBeLessThanOrEqual(n / 2);
      expect(revealed(masked)).toBeLessThanOrEqual(8);
    }
  });
});

describe("maskPhone", () => {
  it.each([
    ["13812345678", "138****5678"], // mainland mobile
    ["19912345678", "199****5678"],
    ["+8613812345678", "+86*******5678"], // with country code, 14 characters
    ["021-62345678", "021*****5678"], // fixed line with area code, 12
    ["0216234567", "021***4567"], // 10
    ["123456789", "123**6789"], // 9: longer than 8
    ["62345678", "******78"], // 8: last 2 only
    ["1234", "**34"],
    ["123", "***"], // under 4: all masked
    ["1", "*"],
    ["", ""],
    ["           ", "   ****    "], // 11 spaces: the same rule, nothing trimmed
    ["１３８１２３４５６７８", "１３８****５６７８"], // full-width digits: 11 characters
  ])("%j → %j", (phone, masked) => {
    expect(maskPhone(phone)).toBe(masked);
    expect(length(masked)).toBe(length(phone));
  });
});

describe("maskName", () => {
  it.each([
    ["张三", "张*"],
    ["欧阳娜娜", "欧***"],
    ["李小龙", "李**"],
    ["阿卜杜·热合曼", "阿******"], // the middle dot is a character like any other
    ["𠮷野家", "𠮷**"], // a surname outside the BMP is kept whole
    ["John Smith", "J*********"],
    ["张", "*"], // one character: masked entirely
    ["", ""],
    [" 张三", " **"], // not trimmed: the first character is kept whatever it is
    ["  ", " *"],
  ])("%j → %j", (name, masked) => {
    expect(maskName(name)).toBe(masked);
    expect(length(masked)).toBe(length(name));
  });
});

describe("maskMiddle", () => {
  it.each([
    ["abcdef", 1, 1, "a****f"],
    ["abcdef", 0, 0, "******"],
    ["abcdef", 0, 2, "****ef"],
    ["abcdef", 2, 0, "ab****"],
    ["abcdef", 3, 3, "******"], // the kept parts would cover everything
    ["abcdef", 4, 4, "******"],
    ["abcdef", 2, 3, "ab*def"],
  ])("%j keeping %i + %i → %j", (value, start, end, masked) => {
    expect(maskMiddle(value, start, end)).toBe(masked);
  });

  it.each([
    [-1, 0],
    [0, -1],
    [1.5, 0],
    [Number.NaN, 0],
  ])("refuses keep counts %s, %s", (start, end) => {
    expect(() => maskMiddle("abcdef", start, end)).toThrow(RangeError);
  });
});
