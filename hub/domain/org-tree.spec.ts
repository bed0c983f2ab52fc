import { ORG_KINDS, type OrgKind } from "../db/entities";
import { childPath, mayContain } from "./org-tree";

describe("org tree rules", () => {
  // 总行 → 分行 → (二级分行) → 支行; written out in full so that any change to the rule shows here.
  const allowed: Record<OrgKind, OrgKind[]> = {
    hq: ["branch"],
    branch: ["sub_branch", "outlet"],
    sub_branch: ["outlet"],
    outlet: [],
  };

  for (const parent of ORG_KINDS) {
    for (const child of ORG_KINDS) {
      const expected = allowed[parent].includes(child);
      it(`${child} under ${parent}: ${expected ? "allowed" : "refused"}`, () => {
        expect(mayContain(parent, child)).toBe(expected);
      });
    }
  }

  it("nothing may be placed above or beside the head office", () => {
    for (const parent of ORG_KINDS) expect(mayContain(parent, "hq")).toBe(false);
  });

  it("builds a child's path from its parent's", () => {
    expect(childPath("000000/310000", "310100")).toBe("000000/310000/310100");
  });
});
