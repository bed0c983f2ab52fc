import { ID_CARDS } from "../../test/fixtures/imports/files";
import { idCardBirthDate, idCardCheckCharacter, idCardProblem } from "./id-card";

const TODAY = "2026-03-01";

describe("ID card numbers (GB 11643)", () => {
  it("computes the check character, X included", () => {
    expect(idCardCheckCharacter("11010519491231002")).toBe("X");
    expect(idCardCheckCharacter("44052418800101001")).toBe("4");
    expect(idCardCheckCharacter("31010119900307123")).toBe("0");
  });

  it.each(Object.values(ID_CARDS))("accepts %s", (id) => {
    expect(idCardProblem(id, TODAY)).toBeNull();
  });

  it("rejects a wrong check digit", () => {
    expect(idCardProblem("110105194912310021", TODAY)).toBe("CHECK_DIGIT");
    expect(idCardProblem("310101199003071231", TODAY)).toBe("CHECK_DIGIT");
  });

  it("rejects wrong shapes", () => {
    expect(idCardProblem("11010519491231002", TODAY)).toBe("SHAPE"); // 17
    expect(idCardProblem("110105491231002", TODAY)).toBe("SHAPE"); // old 15-digit number
    expect(idCardProblem("11010519491231002x", TODAY)).toBe("SHAPE"); // callers upper-case first
    expect(idCardProblem("01010519491231002X", TODAY)).toBe("SHAPE");
    expect(idCardProblem("1101051949123100XX", TODAY)).toBe("SHAPE");
  });

  it("rejects an impossible or future birth date", () => {
    const withCheck = (first17: string) => first17 + idCardCheckCharacter(first17);
    expect(idCardProblem(withCheck("11010520260230001"), TODAY)).toBe("BIRTH_DATE");
    expect(idCardProblem(withCheck("11010520260302001"), TODAY)).toBe("BIRTH_DATE");
    expect(idCardProblem(withCheck("11010520260301001"), TODAY)).toBeNull();
  });

  it("reads the birth date", () => {
    expect(idCardBirthDate(ID_CARDS.leap)).toBe("2000-02-29");
  });
});
