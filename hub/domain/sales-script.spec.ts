/**
 * The sales script: step order and codes, confirmation flags, templating with Chinese values, defaults for
 * missing texts, every product type's risk warning, and the staff-qualification boundaries.
 */
import { PRODUCT_TYPES, PRODUCT_TYPE_NAMES, type ProductType } from "./recording-required";
import {
  RISK_WARNINGS,
  SCRIPT_STEP_CODES,
  SCRIPT_STEP_TITLES,
  buildSaleScript,
  qualificationProblem,
  spokenDay,
  type ScriptInput,
  type ScriptStep,
  type ScriptStepCode,
} from "./sales-script";

const input = (over: Partial<ScriptInput> = {}): ScriptInput => ({
  product: {
    code: "WM2026001",
    name: "稳享添利90天理财",
    type: "WEALTH",
    risk: "R2",
    features: "投资于高等级债券和货币市场工具，每90天开放一次申购赎回",
    risks: "存在利率风险、信用风险和流动性风险。",
    customerRights: "您有权在开放期内申请赎回；有权查询产品净值和定期报告",
    maturityDate: "2027-03-31",
    termMonths: null,
  },
  customer: {
    customerNo: "C000123",
    name: "张*",
    level: "C3",
    assessmentValid: true,
    assessedAt: "2026-01-10",
    validUntil: "2027-01-09",
  },
  staff: {
    name: "李晓明",
    employeeNo: "E310045",
    qualificationCertNo: "AMAC-2024-000812",
    qualificationValidUntil: "2026-12-31",
  },
  onDay: "2026-03-15",
  ...over,
});

const byCode = (steps: ScriptStep[]): Record<ScriptStepCode, ScriptStep> =>
  Object.fromEntries(steps.map((s) => [s.code, s])) as Record<ScriptStepCode, ScriptStep>;

const text = (i: ScriptInput, code: ScriptStepCode): string => byCode(buildSaleScript(i))[code].text;

describe("buildSaleScript: steps", () => {
  it("has exactly the eight steps in order", () => {
    expect(SCRIPT_STEP_CODES).toEqual([
      "consent",
      "staff-disclosure",
      "risk-warning",
      "customer-identification",
      "risk-assessment",
      "product-match",
      "product-introduction",
      "confirmation",
    ]);
    expect(buildSaleScript(input()).map((s) => s.code)).toEqual([...SCRIPT_STEP_CODES]);
  });

  it("asks for an affirmative answer at consent, risk warning, product introduction and confirmation only", () => {
    const flags = Object.fromEntries(buildSaleScript(input()).map((s) => [s.code, s.requiresConfirmation]));
    expect(flags).toEqual({
      consent: true,
      "staff-disclosure": false,
      "risk-warning": true,
      "customer-identification": false,
      "risk-assessment": false,
      "product-match": false,
      "product-introduction": true,
      confirmation: true,
    });
  });

  it("gives every step its title and a non-empty text without null, undefined or NaN", () => {
    for (const s of buildSaleScript(input())) {
      expect(s.title).toBe(SCRIPT_STEP_TITLES[s.code]);
      expect(s.title).not.toBe("");
      expect(s.text.length).toBeGreaterThan(10);
      expect(s.text).not.toMatch(/null|undefined|NaN|\[object/);
    }
  });

  it("the questions the customer answers end with a question mark", () => {
    for (const s of buildSaleScript(input())) {
      if (s.requiresConfirmation) expect(s.text).toMatch(/？$/);
    }
  });
});

describe("buildSaleScript: templating", () => {
  it("consent asks to record the whole sale and says the day", () => {
    const t = text(input(), "consent");
    expect(t).toContain("本次销售过程将全程录音录像，请问您是否同意？");
    expect(t).toContain("今天是2026年3月15日");
  });

  it("staff disclosure names the staff member, employee number, certificate and its validity", () => {
    const t = text(input(), "staff-disclosure");
    expect(t).toContain("李晓明");
    expect(t).toContain("员工编号E310045");
    expect(t).toContain("销售资格证书编号AMAC-2024-000812");
    expect(t).toContain("资格有效期至2026年12月31日");
    expect(t).toContain("有权销售人员公示");
  });

  it("risk warning is the type's warning followed by the product's risk grade", () => {
    const t = text(input(), "risk-warning");
    expect(t.startsWith(RISK_WARNINGS.WEALTH)).toBe(true);
    expect(t).toContain("理财非存款、产品有风险、投资须谨慎");
    expect(t).toContain("本产品的风险等级为R2（中低风险）");
  });

  it("customer identification gives the instructions and the (masked) customer", () => {
    const t = text(input(), "customer-identification");
    expect(t).toContain("有效身份证件");
    expect(t).toContain("张*");
    expect(t).toContain("客户号C000123");
  });

  it("risk assessment states a valid level with its dates", () => {
    const t = text(input(), "risk-assessment");
    expect(t).toContain("C3（平衡型）");
    expect(t).toContain("评估日期2026年1月10日");
    expect(t).toContain("有效期至2027年1月9日");
    expect(t).not.toContain("风险评估问卷");
  });

  it("risk assessment without the optional dates still says the level is valid", () => {
    const i = input({ customer: { customerNo: "C1", name: "王**", level: "C4", assessmentValid: true } });
    expect(text(i, "risk-assessment")).toBe("您的风险承受能力评估结果为C4（成长型），评估结果在有效期内。");
  });

  it("risk assessment asks for the questionnaire when the assessment is expired or missing", () => {
    const expired = input({
      customer: { customerNo: "C1", name: "王**", level: "C2", assessmentValid: false },
    });
    expect(text(expired, "risk-assessment")).toContain("原评估结果C2（稳健型）");
    expect(text(expired, "risk-assessment")).toContain("《风险评估问卷》");
    const missing = input({
      customer: { customerNo: "C1", name: "王**", level: null, assessmentValid: false },
    });
    expect(text(missing, "risk-assessment")).toContain("尚未进行风险承受能力评估");
    expect(text(missing, "risk-assessment")).toContain("《风险评估问卷》");
  });

  it("product match states code, name, risk and level, and whether they match", () => {
    const t = text(input(), "product-match");
    expect(t).toContain("稳享添利90天理财");
    expect(t).toContain("产品代码WM2026001");
    expect(t).toContain("R2（中低风险）");
    expect(t).toContain("C3（平衡型）");
    expect(t).toContain("相匹配");
  });

  it("product match: equal grades match (R5/C5), a higher risk stops the sale (R4/C3)", () => {
    const base = input();
    const r5c5 = input({
      product: { ...base.product, risk: "R5" },
      customer: { customerNo: "C1", name: "赵*", level: "C5", assessmentValid: true },
    });
    expect(text(r5c5, "product-match")).toContain("相匹配");
    const r4c3 = input({ product: { ...base.product, risk: "R4" } });
    expect(text(r4c3, "product-match")).toContain("本次销售终止");
    expect(text(r4c3, "product-match")).not.toContain("相匹配");
  });

  it("product match without a valid assessment forbids the sale", () => {
    const expired = input({
      customer: { customerNo: "C1", name: "王**", level: "C5", assessmentValid: false },
    });
    expect(text(expired, "product-match")).toContain("重新评估前不得销售");
    expect(text(input({ customer: null }), "product-match")).toContain("完成评估前不得销售");
  });

  it("product introduction covers type and name, term, features, risks, risk attribute and rights", () => {
    const t = text(input(), "product-introduction");
    expect(t).toContain("产品类型：理财");
    expect(t).toContain("产品名称：稳享添利90天理财");
    expect(t).toContain("到期日为2027年3月31日");
    expect(t).toContain("产品特点：投资于高等级债券和货币市场工具，每90天开放一次申购赎回。");
    // A text that already ends a sentence gets no second full stop.
    expect(t).toContain("主要风险：存在利率风险、信用风险和流动性风险。");
    expect(t).not.toContain("。。");
    expect(t).toContain("您的风险承受能力等级为C3（平衡型）");
    expect(t).toContain("您的权利：您有权在开放期内申请赎回；有权查询产品净值和定期报告。");
    // The items come in the order the regulator lists them.
    const order = ["产品类型", "产品特点", "主要风险", "风险承受能力", "您的权利"].map((w) => t.indexOf(w));
    expect(order).toEqual([...order].sort((a, b) => a - b));
  });

  it("product introduction for insurance speaks of the insurance term", () => {
    const base = input();
    const i = input({
      product: {
        ...base.product,
        type: "INSURANCE",
        name: "鑫享年年终身寿险",
        maturityDate: null,
        termMonths: 120,
      },
    });
    const t = text(i, "product-introduction");
    expect(t).toContain("产品类型：保险");
    expect(t).toContain("保险期间为120个月（10年）");
    expect(t).not.toContain("开放式");
  });

  it("an open-ended product says it has no fixed maturity", () => {
    const base = input();
    const i = input({ product: { ...base.product, maturityDate: null } });
    expect(text(i, "product-introduction")).toContain("本产品为开放式产品，无固定到期日。");
  });

  it("confirmation names the product and asks the customer to confirm a purchase of their own will", () => {
    const t = text(input(), "confirmation");
    expect(t).toContain("稳享添利90天理财");
    expect(t).toContain("本人的真实意愿");
    expect(t).toMatch(/请问您是否确认？$/);
  });
});

describe("buildSaleScript: missing texts", () => {
  const bare = (): ScriptInput => {
    const base = input();
    return {
      ...base,
      product: { ...base.product, features: null, risks: "   ", customerRights: null },
      customer: null,
      staff: { name: "李晓明", employeeNo: null, qualificationCertNo: null, qualificationValidUntil: null },
    };
  };

  it("never prints null, and uses default sentences", () => {
    const steps = buildSaleScript(bare());
    for (const s of steps) expect(s.text).not.toMatch(/null|undefined|NaN/);
    const t = byCode(steps);
    expect(t["product-introduction"].text).toContain("产品特点：产品特点请以产品说明书或合同载明的内容为准");
    expect(t["product-introduction"].text).toContain("主要风险：产品的主要风险请以产品说明书或风险揭示书");
    expect(t["product-introduction"].text).toContain("您的权利：您依法享有知情权");
    expect(t["product-introduction"].text).toContain("您的风险承受能力尚未评估");
    expect(t["staff-disclosure"].text).toContain("员工编号未登记");
    expect(t["staff-disclosure"].text).toContain("销售资格证书编号未登记");
    expect(t["staff-disclosure"].text).toContain("资格有效期未登记");
  });

  it("without a customer, identification gives only the instructions and assessment asks to identify first", () => {
    const t = byCode(buildSaleScript(bare()));
    expect(t["customer-identification"].text).not.toContain("客户号");
    expect(t["risk-assessment"].text).toContain("请先完成客户身份识别");
  });

  it("insurance without customer rights gets the 犹豫期 in the default rights", () => {
    const i = bare();
    i.product.type = "INSURANCE";
    expect(text(i, "product-introduction")).toContain("15日犹豫期");
  });
});

describe("buildSaleScript: contract violations", () => {
  it.each([
    ["a malformed day", { onDay: "2026-3-15" }],
    ["a day that does not exist", { onDay: "2026-02-29" }],
  ])("throws RangeError on %s", (_what, over) => {
    expect(() => buildSaleScript(input(over))).toThrow(RangeError);
  });

  it("throws RangeError on an unknown type, risk, level or a bad term", () => {
    const base = input();
    const bad: ScriptInput[] = [
      { ...base, product: { ...base.product, type: "BOND" as ProductType } },
      { ...base, product: { ...base.product, risk: "R6" as any } },
      { ...base, customer: { customerNo: "C1", name: "张*", level: "C0" as any, assessmentValid: true } },
      { ...base, product: { ...base.product, termMonths: 0 } },
      { ...base, product: { ...base.product, termMonths: 1.5 } },
    ];
    for (const i of bad) expect(() => buildSaleScript(i)).toThrow(RangeError);
  });
});

describe("RISK_WARNINGS", () => {
  it.each(PRODUCT_TYPES.map((t) => [t, PRODUCT_TYPE_NAMES[t]]))(
    "%s (%s) has a warning of a few sentences",
    (t) => {
      const w = RISK_WARNINGS[t as ProductType];
      expect(typeof w).toBe("string");
      expect(w.trim().length).toBeGreaterThan(50);
      expect(w.split("。").filter((s) => s.trim() !== "").length).toBeGreaterThanOrEqual(3);
      expect(w).toMatch(/。$/);
    },
  );

  it("covers exactly the product types", () => {
    expect(Object.keys(RISK_WARNINGS).sort()).toEqual([...PRODUCT_TYPES].sort());
  });

  it("uses the regulators' wording", () => {
    expect(RISK_WARNINGS.WEALTH).toContain("理财非存款、产品有风险、投资须谨慎");
    expect(RISK_WARNINGS.FUND).toContain("基金有风险，投资需谨慎");
    expect(RISK_WARNINGS.FUND).toContain("过往业绩不代表未来表现");
    expect(RISK_WARNINGS.INSURANCE).toContain("不是银行存款");
    expect(RISK_WARNINGS.INSURANCE).toContain("犹豫期");
    expect(RISK_WARNINGS.INSURANCE).toContain("退保");
    for (const t of ["TRUST", "ASSET_MGMT", "EQUITY"] as const) {
      expect(RISK_WARNINGS[t]).toContain("不保本");
      expect(RISK_WARNINGS[t]).toContain("损失全部本金");
    }
  });

  it("every type's warning is the start of its risk-warning step", () => {
    const base = input();
    for (const type of PRODUCT_TYPES) {
      const t = text(input({ product: { ...base.product, type } }), "risk-warning");
      expect(t.startsWith(RISK_WARNINGS[type])).toBe(true);
    }
  });
});

describe("qualificationProblem", () => {
  const staff = (certNo: string | null, validUntil: string | null) => ({
    qualificationCertNo: certNo,
    qualificationValidUntil: validUntil,
  });

  it("is null through the valid-until day inclusive", () => {
    expect(qualificationProblem(staff("Q1", "2026-12-31"), "2026-03-15")).toBeNull();
    expect(qualificationProblem(staff("Q1", "2026-12-31"), "2026-12-31")).toBeNull();
  });

  it("blocks selling from the day after (also across a year and a leap day)", () => {
    const p = qualificationProblem(staff("Q1", "2026-12-31"), "2027-01-01");
    expect(p).toEqual({ code: "HUB_STAFF_NOT_QUALIFIED", reason: expect.stringContaining("2026-12-31") });
    expect(p?.reason).toContain("到期");
    expect(qualificationProblem(staff("Q1", "2024-02-29"), "2024-02-29")).toBeNull();
    expect(qualificationProblem(staff("Q1", "2024-02-29"), "2024-03-01")?.code).toBe(
      "HUB_STAFF_NOT_QUALIFIED",
    );
  });

  it.each([
    ["no certificate number", staff(null, "2026-12-31"), "证书编号"],
    ["a blank certificate number", staff("  ", "2026-12-31"), "证书编号"],
    ["no validity", staff("Q1", null), "有效期"],
    ["a blank validity", staff("Q1", ""), "有效期"],
    ["a malformed validity", staff("Q1", "2026/12/31"), "无效"],
    ["an impossible validity", staff("Q1", "2026-02-30"), "无效"],
  ])("blocks selling with %s", (_what, s, word) => {
    const p = qualificationProblem(s, "2026-03-15");
    expect(p?.code).toBe("HUB_STAFF_NOT_QUALIFIED");
    expect(p?.reason).toContain(word);
    expect(p?.reason).toContain("不得销售");
  });

  it("throws RangeError on a malformed day", () => {
    expect(() => qualificationProblem(staff("Q1", "2026-12-31"), "20260315")).toThrow(RangeError);
  });
});

describe("spokenDay", () => {
  it.each([
    ["2026-03-05", "2026年3月5日"],
    ["2026-12-31", "2026年12月31日"],
    ["not a day", "not a day"],
  ])("%s → %s", (day, spoken) => {
    expect(spokenDay(day)).toBe(spoken);
  });
});
