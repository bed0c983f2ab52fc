/**
 * The sales script: the ordered steps the `<dual-record>` widget shows and plays during a sale (issue 3, point 8;
 * ARCHITECTURE §2, "A sale"): consent to record → staff qualification disclosure (有权销售人员公示) → risk warning
 * for the product type → customer identification → risk assessment → product-risk match → product introduction →
 * the customer's confirmation.
 *
 * Texts are zh-CN, written to be read aloud by staff or played by the widget, and are templated from the product,
 * the customer and the staff member. A missing text (a product without features, a staff member without an
 * employee number) becomes a sensible default sentence, never "null". Dates are `YYYY-MM-DD` business days and
 * are spoken as 2026年3月15日.
 *
 * Pure functions only. Contract violations by the caller (a malformed day, an unknown type, risk or level) throw
 * RangeError, as in ./risk. Whether the staff member may sell at all is `qualificationProblem`'s answer, which the
 * caller checks before a sale: `buildSaleScript` describes the sale, it does not authorise it.
 */
import { PRODUCT_TYPE_NAMES, isProductType, type ProductType } from "./recording-required";
import {
  PRODUCT_RISK_NAMES,
  RISK_LEVEL_NAMES,
  isCustomerLevel,
  isIsoDate,
  isProductRisk,
  levelRank,
  riskRank,
  type CustomerLevel,
  type ProductRisk,
} from "./risk";

export const SCRIPT_STEP_CODES = [
  "consent",
  "staff-disclosure",
  "risk-warning",
  "customer-identification",
  "risk-assessment",
  "product-match",
  "product-introduction",
  "confirmation",
] as const;
export type ScriptStepCode = (typeof SCRIPT_STEP_CODES)[number];

export interface ScriptStep {
  code: ScriptStepCode;
  /** A short zh-CN heading the widget shows above the text. */
  title: string;
  /** What staff read aloud or the widget plays. */
  text: string;
  /** The customer must answer affirmatively (on the recording) before the sale goes on. */
  requiresConfirmation: boolean;
}

/** The titles of the steps, in step order. */
export const SCRIPT_STEP_TITLES: Readonly<Record<ScriptStepCode, string>> = {
  consent: "录音录像告知",
  "staff-disclosure": "销售人员资格公示",
  "risk-warning": "风险提示",
  "customer-identification": "客户身份识别",
  "risk-assessment": "客户风险承受能力评估",
  "product-match": "产品风险匹配",
  "product-introduction": "产品介绍",
  confirmation: "客户确认",
};

/**
 * The risk warning played for every product of a type, in the wording banks and the regulators use (理财非存款、
 * 产品有风险、投资须谨慎; 基金有风险，投资需谨慎; insurance is not a deposit, 犹豫期, 退保损失 …). The step adds the
 * product's own risk grade after it.
 */
export const RISK_WARNINGS: Readonly<Record<ProductType, string>> = {
  WEALTH:
    "理财非存款、产品有风险、投资须谨慎。" +
    "本产品为非保本浮动收益型理财产品，不保证本金和收益，您的本金可能因市场波动等因素而遭受损失，" +
    "产品不纳入存款保险保障范围。业绩比较基准不是预期收益率，不代表产品的未来表现和实际收益。" +
    "请您在购买前认真阅读产品说明书和风险揭示书，充分了解产品风险，根据自身风险承受能力审慎决策。",
  FUND:
    "基金有风险，投资需谨慎。本行仅为基金代销机构，不承担基金的投资、兑付和风险管理责任。" +
    "基金投资可能出现亏损，您可能损失部分或全部投资本金。" +
    "基金的过往业绩不代表未来表现，基金管理人管理的其他基金的业绩也不构成本基金业绩表现的保证。" +
    "请您认真阅读基金合同、招募说明书和基金产品资料概要，了解基金的风险收益特征，根据自身风险承受能力审慎选择。",
  TRUST:
    "本产品为信托产品，由信托公司发行和管理，不是银行存款，也不是本行发行的理财产品，本行仅为代理推介机构，不承担兑付责任。" +
    "信托产品不保本、不保收益，您可能损失全部本金。" +
    "信托产品存在市场风险、信用风险、流动性风险等，存续期内一般不能提前赎回或转让。" +
    "请您认真阅读信托合同和风险申明书，审慎决策，自行承担投资风险。",
  ASSET_MGMT:
    "本产品为资产管理产品，由资产管理机构发行和管理，不是银行存款，也不是本行发行的理财产品，本行仅为代理销售机构，不承担兑付责任。" +
    "资产管理产品不保本、不保收益，管理人和销售机构均不对本金和收益作出承诺，您可能损失全部本金。" +
    "产品过往业绩不代表未来表现，产品可能设有封闭期，封闭期内不能赎回。" +
    "请您认真阅读资产管理合同和风险揭示书，审慎决策，自行承担投资风险。",
  EQUITY:
    "本产品为权益类投资产品，主要投资于股票等权益类资产，不是银行存款，不保本、不保收益。" +
    "产品净值可能随市场大幅波动，您可能损失全部本金。市场有风险，投资须谨慎，过往业绩不代表未来表现。" +
    "请您确认已充分了解权益类投资的高波动性和可能出现的较大损失，以自有闲置资金投资，并自行承担投资风险。",
  INSURANCE:
    "本产品为保险产品，不是银行存款，也不是银行理财产品，由保险公司承保，本行仅为代理销售机构，保险责任由保险公司承担。" +
    "保险期间超过一年的人身保险，自您签收保险合同之日起有15日犹豫期，犹豫期内解除合同的，" +
    "保险公司除扣除不超过10元的工本费外，将无息退还您已缴纳的全部保险费；" +
    "犹豫期后解除合同（退保）会遭受一定损失，您只能领取保单的现金价值，可能低于已缴纳的保险费。" +
    "分红、万能等产品的非保证利益具有不确定性。请您认真阅读保险条款，特别是责任免除条款，了解后再投保。",
  OTHER:
    "本产品不是银行存款，不纳入存款保险保障范围。产品有风险，投资须谨慎。" +
    "产品的本金和收益可能因市场变化、发行机构经营状况等因素受到影响，您可能损失部分或全部本金。" +
    "请您认真阅读产品合同和相关说明材料，充分了解产品风险后，根据自身风险承受能力审慎决策。",
};

export interface ScriptProduct {
  code: string;
  name: string;
  type: ProductType;
  risk: ProductRisk;
  /** 产品特点, from the catalog; null or blank → a default sentence. */
  features: string | null;
  /** 主要风险; null or blank → a default sentence. */
  risks: string | null;
  /** 客户权利; null or blank → the rights every customer has (and, for insurance, the 犹豫期). */
  customerRights: string | null;
  /** `YYYY-MM-DD`; null = open-ended. */
  maturityDate: string | null;
  /** Term in months (insurance). */
  termMonths: number | null;
}

export interface ScriptCustomer {
  customerNo: string;
  /** Already masked by the caller if the reader may not see it in full. */
  name: string;
  /** The level of the assessment in force (also when expired); null when there is none. */
  level: CustomerLevel | null;
  /** Whether that assessment is valid on the day of the sale. */
  assessmentValid: boolean;
  /** Optional: day assessed, `YYYY-MM-DD`, spoken with the level when given. */
  assessedAt?: string | null;
  /** Optional: last valid day, `YYYY-MM-DD`, spoken with the level when given. */
  validUntil?: string | null;
}

export interface ScriptStaff {
  name: string;
  employeeNo: string | null;
  /** 销售资格证书编号. */
  qualificationCertNo: string | null;
  /** Last day the qualification is valid, inclusive, `YYYY-MM-DD`. */
  qualificationValidUntil: string | null;
}

export interface ScriptInput {
  product: ScriptProduct;
  /** Null before the customer has been identified. */
  customer: ScriptCustomer | null;
  staff: ScriptStaff;
  /** The day of the sale, `YYYY-MM-DD`. */
  onDay: string;
}

export const STAFF_NOT_QUALIFIED = "HUB_STAFF_NOT_QUALIFIED" as const;

export interface QualificationProblem {
  code: typeof STAFF_NOT_QUALIFIED;
  /** One zh-CN sentence a teller can read. */
  reason: string;
}

// ---------------------------------------------------------------------------------------------------------------
// Text helpers
// ---------------------------------------------------------------------------------------------------------------

/** A non-blank string trimmed, or null. */
function present(s: string | null | undefined): string | null {
  if (typeof s !== "string") return null;
  const t = s.trim();
  return t === "" ? null : t;
}

const SENTENCE_END = /[。！？；.!?;…]$/;

/** `s` trimmed, with a full stop added unless it already ends a sentence. */
function sentence(s: string): string {
  const t = s.trim();
  return SENTENCE_END.test(t) ? t : `${t}。`;
}

/** 2026-03-05 → 2026年3月5日; anything that is not a calendar day is returned as given. */
export function spokenDay(day: string): string {
  if (!isIsoDate(day)) return day;
  const [y, m, d] = day.split("-").map(Number);
  return `${y}年${m}月${d}日`;
}

const levelLabel = (l: CustomerLevel): string => `${l}（${RISK_LEVEL_NAMES[l]}）`;
const riskLabel = (r: ProductRisk): string => `${r}（${PRODUCT_RISK_NAMES[r]}）`;

/** 24 → 24个月（2年）; 6 → 6个月. */
function spokenTerm(months: number): string {
  return months % 12 === 0 ? `${months}个月（${months / 12}年）` : `${months}个月`;
}

function check(input: ScriptInput): void {
  const { product, customer, onDay } = input;
  if (!isIsoDate(onDay))
    throw new RangeError(`onDay is not a YYYY-MM-DD calendar day: ${JSON.stringify(onDay)}`);
  if (!isProductType(product.type)) throw new RangeError(`unknown product type: ${String(product.type)}`);
  if (!isProductRisk(product.risk)) throw new RangeError(`unknown product risk: ${String(product.risk)}`);
  if (customer !== null && customer.level !== null && !isCustomerLevel(customer.level)) {
    throw new RangeError(`unknown customer level: ${String(customer.level)}`);
  }
  const term = product.termMonths;
  if (term !== null && (!Number.isSafeInteger(term) || term < 1)) {
    throw new RangeError(`termMonths must be a whole number ≥ 1 or null: ${String(term)}`);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Steps
// ---------------------------------------------------------------------------------------------------------------

const step = (code: ScriptStepCode, text: string, requiresConfirmation: boolean): ScriptStep => ({
  code,
  title: SCRIPT_STEP_TITLES[code],
  text,
  requiresConfirmation,
});

function consentText(onDay: string): string {
  return (
    `您好！今天是${spokenDay(onDay)}。根据监管要求，本行销售理财及代理销售产品须进行录音录像，` +
    "录音录像资料仅用于留存销售过程，本行将依法保存并严格保密。" +
    "本次销售过程将全程录音录像，请问您是否同意？"
  );
}

function staffDisclosureText(staff: ScriptStaff): string {
  const name = present(staff.name) ?? "（姓名未登记）";
  const employeeNo = present(staff.employeeNo);
  const certNo = present(staff.qualificationCertNo);
  const validUntil = present(staff.qualificationValidUntil);
  const parts = [`我是本行销售人员${name}`];
  parts.push(employeeNo === null ? "员工编号未登记" : `员工编号${employeeNo}`);
  parts.push(certNo === null ? "销售资格证书编号未登记" : `销售资格证书编号${certNo}`);
  parts.push(validUntil === null ? "资格有效期未登记" : `资格有效期至${spokenDay(validUntil)}`);
  return (
    `${parts.join("，")}。` +
    "我已列入本行有权销售人员公示名单，您可在本行营业网点或官方网站查询我的销售资格。"
  );
}

function riskWarningText(product: ScriptProduct): string {
  return (
    RISK_WARNINGS[product.type] +
    `本产品的风险等级为${riskLabel(product.risk)}。` +
    "请问您是否已清楚了解上述风险提示内容？"
  );
}

function customerIdentificationText(customer: ScriptCustomer | null): string {
  const instruction =
    "请您出示本人有效身份证件原件或本人银行卡，由销售人员通过刷卡、查询或手工录入识别客户身份，" +
    "并核对证件信息与您本人一致。";
  if (customer === null) return instruction;
  const name = present(customer.name) ?? "（姓名未登记）";
  return `${instruction}本次办理客户：${name}，客户号${customer.customerNo}。`;
}

function riskAssessmentText(customer: ScriptCustomer | null): string {
  if (customer === null) {
    return "尚未识别客户，请先完成客户身份识别，再查询客户的风险承受能力评估结果。";
  }
  const level = customer.level;
  if (level !== null && customer.assessmentValid) {
    const assessedAt = present(customer.assessedAt);
    const validUntil = present(customer.validUntil);
    const when = assessedAt === null ? "" : `评估日期${spokenDay(assessedAt)}，`;
    const until = validUntil === null ? "评估结果在有效期内" : `有效期至${spokenDay(validUntil)}`;
    return `您的风险承受能力评估结果为${levelLabel(level)}，${when}${until}。`;
  }
  const questionnaire =
    "请您现场填写《风险评估问卷》（电子问卷，或纸质问卷由销售人员扫描留存），完成评估后方可继续办理。";
  if (level === null) return `您尚未进行风险承受能力评估。${questionnaire}`;
  return `您的风险承受能力评估（原评估结果${levelLabel(level)}）已不在有效期内，须重新评估。${questionnaire}`;
}

function productMatchText(product: ScriptProduct, customer: ScriptCustomer | null): string {
  const head = `本次拟购买的产品为${product.name}（产品代码${product.code}），产品风险等级为${riskLabel(product.risk)}。`;
  if (customer === null || customer.level === null) {
    return `${head}客户尚无有效的风险承受能力评估结果，完成评估前不得销售。`;
  }
  const level = customer.level;
  const levelPart = `您的风险承受能力等级为${levelLabel(level)}`;
  if (!customer.assessmentValid) {
    return `${head}${levelPart}，但评估已不在有效期内，重新评估前不得销售。`;
  }
  if (riskRank(product.risk) > levelRank(level)) {
    return `${head}${levelPart}，产品风险等级高于您的风险承受能力，本行不得向您销售本产品，本次销售终止。`;
  }
  return `${head}${levelPart}，产品风险等级未超过您的风险承受能力，产品与您的风险承受能力相匹配。`;
}

function customerRiskAttribute(customer: ScriptCustomer | null): string {
  if (customer === null || customer.level === null) return "您的风险承受能力尚未评估。";
  if (!customer.assessmentValid)
    return `您的风险承受能力评估（${levelLabel(customer.level)}）已不在有效期内。`;
  return `您的风险承受能力等级为${levelLabel(customer.level)}，请您结合自身风险承受能力审慎决策。`;
}

function termText(product: ScriptProduct): string {
  const parts: string[] = [];
  if (product.termMonths !== null) {
    parts.push(
      `${product.type === "INSURANCE" ? "保险期间" : "产品期限"}为${spokenTerm(product.termMonths)}`,
    );
  }
  const maturity = present(product.maturityDate);
  if (maturity !== null) parts.push(`到期日为${spokenDay(maturity)}`);
  if (parts.length > 0) return `${parts.join("，")}。`;
  // Open-ended (empty maturity date); an insurance contract's term is in its policy, not said here.
  return product.type === "INSURANCE" ? "" : "本产品为开放式产品，无固定到期日。";
}

const DEFAULT_FEATURES = "产品特点请以产品说明书或合同载明的内容为准，销售人员将为您逐项说明。";
const DEFAULT_RISKS = "产品的主要风险请以产品说明书或风险揭示书载明的内容为准。";
const DEFAULT_RIGHTS =
  "您依法享有知情权、自主选择权、公平交易权和信息安全权，有权了解产品的真实情况，" +
  "如有疑问或不满，可通过本行营业网点或客服热线咨询和投诉。";
const DEFAULT_INSURANCE_RIGHTS =
  DEFAULT_RIGHTS +
  "保险期间超过一年的人身保险，您在签收保险合同后享有15日犹豫期，犹豫期内可无息全额退还保费（扣除不超过10元的工本费）。";

function productIntroductionText(product: ScriptProduct, customer: ScriptCustomer | null): string {
  const features = present(product.features);
  const risks = present(product.risks);
  const rights = present(product.customerRights);
  return (
    `下面为您介绍本次购买的产品。产品类型：${PRODUCT_TYPE_NAMES[product.type]}；产品名称：${product.name}；` +
    `风险等级：${riskLabel(product.risk)}。` +
    termText(product) +
    `产品特点：${features === null ? DEFAULT_FEATURES : sentence(features)}` +
    `主要风险：${risks === null ? DEFAULT_RISKS : sentence(risks)}` +
    customerRiskAttribute(customer) +
    `您的权利：${
      rights === null
        ? product.type === "INSURANCE"
          ? DEFAULT_INSURANCE_RIGHTS
          : DEFAULT_RIGHTS
        : sentence(rights)
    }` +
    "请问您是否已清楚了解上述产品信息？"
  );
}

function confirmationText(product: ScriptProduct): string {
  return (
    `请您确认：您已认真阅读并充分理解${product.name}的产品说明及风险提示内容，清楚了解产品风险，` +
    "本次购买是您本人的真实意愿和自主决定，不存在他人代为购买或被诱导购买的情况，并自行承担投资风险。" +
    "请问您是否确认？"
  );
}

/**
 * The eight steps of a sale, in SCRIPT_STEP_CODES order. Consent, the risk warning, the product introduction and
 * the confirmation need the customer's affirmative answer on the recording; the others are shown or said.
 */
export function buildSaleScript(input: ScriptInput): ScriptStep[] {
  check(input);
  const { product, customer, staff, onDay } = input;
  return [
    step("consent", consentText(onDay), true),
    step("staff-disclosure", staffDisclosureText(staff), false),
    step("risk-warning", riskWarningText(product), true),
    step("customer-identification", customerIdentificationText(customer), false),
    step("risk-assessment", riskAssessmentText(customer), false),
    step("product-match", productMatchText(product, customer), false),
    step("product-introduction", productIntroductionText(product, customer), true),
    step("confirmation", confirmationText(product), true),
  ];
}

// ---------------------------------------------------------------------------------------------------------------
// Staff qualification
// ---------------------------------------------------------------------------------------------------------------

/**
 * Why `staff` may not sell on `onDay`, or null when they may. A qualification is valid through its valid-until
 * day inclusive; a missing certificate number, a missing or malformed validity (fail closed), or a validity that
 * ended before `onDay` blocks selling.
 */
export function qualificationProblem(
  staff: Pick<ScriptStaff, "qualificationCertNo" | "qualificationValidUntil">,
  onDay: string,
): QualificationProblem | null {
  if (!isIsoDate(onDay))
    throw new RangeError(`onDay is not a YYYY-MM-DD calendar day: ${JSON.stringify(onDay)}`);
  const problem = (reason: string): QualificationProblem => ({ code: STAFF_NOT_QUALIFIED, reason });
  if (present(staff.qualificationCertNo) === null) {
    return problem("销售人员未登记销售资格证书编号，不得销售");
  }
  const validUntil = present(staff.qualificationValidUntil);
  if (validUntil === null) return problem("销售人员未登记销售资格有效期，不得销售");
  if (!isIsoDate(validUntil)) return problem("销售人员的销售资格有效期日期无效，不得销售");
  if (validUntil < onDay) return problem(`销售人员的销售资格已于${validUntil}到期，不得销售`);
  return null;
}
