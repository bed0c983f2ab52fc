import crypto from "node:crypto";
import { businessDay } from "../domain/business-day";
import { addMonths, defaultValidUntil, type CustomerLevel } from "../domain/risk";
import {
  CustomerCardEntity,
  CustomerEntity,
  ProductEntity,
  RiskAssessmentEntity,
  type CustomerCardRow,
  type CustomerRow,
  type ProductRow,
  type RiskAssessmentRow,
} from "../db/entities";
import type { HubRuntime } from "../runtime";

type DemoProduct = Omit<ProductRow, "createdAt" | "updatedAt" | "recordingRequired" | "issuer"> & {
  issuer?: string;
};

const RIGHTS = "您享有知情权、自主选择权、公平交易权及依法申请撤销或投诉的权利。";

/** A dozen products across all types and risks: some open-ended, insurance of one year and of ten. */
export const DEMO_PRODUCTS: readonly DemoProduct[] = [
  {
    code: "WM2026001",
    name: "稳享理财30天",
    type: "WEALTH",
    risk: "R2",
    inceptionDate: "2026-01-05",
    maturityDate: "2027-01-04",
    termMonths: null,
    features: "固定期限，每30天开放一次申购。",
    risks: "不保本，业绩比较基准不代表实际收益。",
    customerRights: RIGHTS,
  },
  {
    code: "WM2026002",
    name: "安盈理财一年期",
    type: "WEALTH",
    risk: "R3",
    inceptionDate: "2026-03-01",
    maturityDate: "2027-02-28",
    termMonths: null,
    features: "封闭期一年，到期一次性兑付。",
    risks: "市场风险、流动性风险，可能损失本金。",
    customerRights: RIGHTS,
  },
  {
    code: "WM2026003",
    name: "天天利现金管理",
    type: "WEALTH",
    risk: "R1",
    inceptionDate: "2025-06-01",
    maturityDate: null,
    termMonths: null,
    features: "开放式，工作日可申购赎回。",
    risks: "收益随市场波动。",
    customerRights: RIGHTS,
  },
  {
    code: "FD000001",
    name: "沪深300指数基金",
    type: "FUND",
    risk: "R4",
    inceptionDate: "2019-04-10",
    maturityDate: null,
    termMonths: null,
    features: "跟踪沪深300指数。",
    risks: "股票市场波动可能造成较大亏损。",
    customerRights: RIGHTS,
  },
  {
    code: "FD000002",
    name: "稳健债券基金",
    type: "FUND",
    risk: "R2",
    inceptionDate: "2018-09-20",
    maturityDate: null,
    termMonths: null,
    features: "主要投资于债券。",
    risks: "利率风险、信用风险。",
    customerRights: RIGHTS,
  },
  {
    code: "FD000003",
    name: "科技成长混合基金",
    type: "FUND",
    risk: "R5",
    inceptionDate: "2021-11-11",
    maturityDate: null,
    termMonths: null,
    features: "重点投资科技行业股票。",
    risks: "集中投资，净值波动大，可能大幅亏损。",
    customerRights: RIGHTS,
  },
  {
    code: "TR2026001",
    name: "鑫源集合资金信托计划",
    type: "TRUST",
    risk: "R4",
    issuer: "某信托有限公司",
    inceptionDate: "2026-02-01",
    maturityDate: "2028-01-31",
    termMonths: 24,
    features: "期限24个月，按季付息。",
    risks: "信用风险，信托财产可能无法足额兑付。",
    customerRights: RIGHTS,
  },
  {
    code: "AM2026001",
    name: "睿远集合资产管理计划",
    type: "ASSET_MGMT",
    risk: "R3",
    issuer: "某证券资产管理公司",
    inceptionDate: "2026-04-15",
    maturityDate: "2027-10-14",
    termMonths: 18,
    features: "固定收益类资管计划。",
    risks: "管理人风险、流动性风险。",
    customerRights: RIGHTS,
  },
  {
    code: "EQ2026001",
    name: "私募股权优选",
    type: "EQUITY",
    risk: "R5",
    issuer: "某股权投资基金管理公司",
    inceptionDate: "2026-05-20",
    maturityDate: null,
    termMonths: null,
    features: "投资未上市企业股权。",
    risks: "退出不确定，可能损失全部本金。",
    customerRights: RIGHTS,
  },
  {
    code: "IN2026001",
    name: "金福年金保险（十年期）",
    type: "INSURANCE",
    risk: "R2",
    issuer: "某人寿保险股份有限公司",
    inceptionDate: "2026-01-01",
    maturityDate: "2035-12-31",
    termMonths: 120,
    features: "十年交费，按年领取年金。",
    risks: "退保可能损失部分本金；犹豫期15天。",
    customerRights: RIGHTS,
  },
  {
    code: "IN2026002",
    name: "安康意外伤害保险（一年期）",
    type: "INSURANCE",
    risk: "R1",
    issuer: "某财产保险股份有限公司",
    inceptionDate: "2026-01-01",
    maturityDate: "2026-12-31",
    termMonths: 12,
    features: "一年期意外保障。",
    risks: "保障范围以合同条款为准。",
    customerRights: RIGHTS,
  },
  {
    code: "OT2026001",
    name: "贵金属积存代销",
    type: "OTHER",
    risk: "R3",
    issuer: "某黄金交易机构",
    inceptionDate: "2024-01-01",
    maturityDate: null,
    termMonths: null,
    features: "按克积存黄金。",
    risks: "金价波动风险。",
    customerRights: RIGHTS,
  },
];

/** Named customers the docs and tests refer to; the rest are generated. */
export const DEMO_CUSTOMERS = {
  validC3: { customerNo: "C000000001", name: "张伟", card: "6222020000000001" },
  validC5: { customerNo: "C000000002", name: "王芳", card: "6222020000000002" },
  validC1: { customerNo: "C000000003", name: "李娜", card: null },
  expiredC4: { customerNo: "C000000004", name: "刘洋", card: "6222020000000004" },
  missing: { customerNo: "C000000005", name: "陈静", card: null },
} as const;

export const DEMO_CUSTOMER_COUNT = 300;

const SURNAMES =
  "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢";
const GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红梅琳晨浩宇欣怡子涵思远佳琪";

/** GB 11643 check character of the first 17 digits of a resident identity number. */
export function idCheckCharacter(first17: string): string {
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const sum = [...first17].reduce((acc, d, i) => acc + Number(d) * weights[i], 0);
  return "10X98765432"[sum % 11];
}

/** Deterministic pseudo-random numbers, so that every demo database holds the same customers. */
function sequence(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

/** Products and customers for the demo, into an empty catalog. */
export async function seedDemoCatalog(rt: HubRuntime): Promise<{ products: number; customers: number }> {
  const now = rt.clock().toISOString();
  const today = businessDay(rt.clock());
  const products: ProductRow[] = DEMO_PRODUCTS.map((p) => ({
    issuer: null,
    ...p,
    recordingRequired: null,
    createdAt: now,
    updatedAt: now,
  }));

  const random = sequence(20261123);
  const pick = (s: string) => s[Math.floor(random() * s.length)];
  const customers: CustomerRow[] = [];
  const cards: CustomerCardRow[] = [];
  const assessments: RiskAssessmentRow[] = [];
  const named = Object.values(DEMO_CUSTOMERS);
  const namedLevels: Record<string, { level: CustomerLevel; expired: boolean } | null> = {
    C000000001: { level: "C3", expired: false },
    C000000002: { level: "C5", expired: false },
    C000000003: { level: "C1", expired: false },
    C000000004: { level: "C4", expired: true },
    C000000005: null,
  };

  for (let i = 1; i <= DEMO_CUSTOMER_COUNT; i++) {
    const customerNo = `C${String(i).padStart(9, "0")}`;
    const known = named.find((c) => c.customerNo === customerNo);
    const name = known?.name ?? pick(SURNAMES) + pick(GIVEN) + (random() < 0.5 ? pick(GIVEN) : "");
    const birth = `${1950 + Math.floor(random() * 55)}${String(1 + Math.floor(random() * 12)).padStart(2, "0")}${String(1 + Math.floor(random() * 28)).padStart(2, "0")}`;
    const first17 = `${random() < 0.5 ? "310115" : "110105"}${birth}${String(Math.floor(random() * 1000)).padStart(3, "0")}`;
    const idNumber = first17 + idCheckCharacter(first17);
    const phone = `13${Math.floor(random() * 10)}${String(Math.floor(random() * 1e8)).padStart(8, "0")}`;
    customers.push({
      customerNo,
      name,
      idType: "ID_CARD",
      idNumberEnc: rt.fields.encrypt(idNumber),
      idNumberIndex: rt.fields.blindIndex("id", idNumber),
      phoneEnc: rt.fields.encrypt(phone),
      birthDate: `${birth.slice(0, 4)}-${birth.slice(4, 6)}-${birth.slice(6, 8)}`,
      createdAt: now,
      updatedAt: now,
    });
    const card = known ? known.card : i % 2 === 0 ? `62220200${String(i).padStart(8, "0")}` : null;
    if (card)
      cards.push({
        cardIndex: rt.fields.blindIndex("card", card),
        customerNo,
        last4: card.slice(-4),
        createdAt: now,
      });

    // About 60% valid, 25% expired, 15% never assessed.
    const roll = random();
    const plan = known
      ? namedLevels[customerNo]
      : roll < 0.15
        ? null
        : { level: `C${1 + Math.floor(random() * 5)}` as CustomerLevel, expired: roll < 0.4 };
    if (plan) {
      const assessedAt = addMonths(
        today,
        plan.expired ? -(13 + Math.floor(random() * 12)) : -Math.floor(random() * 11),
      );
      assessments.push({
        id: crypto.randomUUID(),
        customerNo,
        level: plan.level,
        assessedAt,
        validUntil: defaultValidUntil(assessedAt),
        source: "import",
        questionnaireVersion: null,
        score: null,
        evidenceRef: null,
        recordedBy: "system",
        recordedAt: now,
      });
    }
  }

  await rt.db.transaction(async (m) => {
    await m.getRepository(ProductEntity).insert(products);
    for (let i = 0; i < customers.length; i += 100)
      await m.getRepository(CustomerEntity).insert(customers.slice(i, i + 100));
    for (let i = 0; i < cards.length; i += 100)
      await m.getRepository(CustomerCardEntity).insert(cards.slice(i, i + 100));
    for (let i = 0; i < assessments.length; i += 100) {
      await m.getRepository(RiskAssessmentEntity).insert(assessments.slice(i, i + 100));
    }
  });
  return { products: products.length, customers: customers.length };
}
