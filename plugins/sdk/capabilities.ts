/**
 * The capabilities the hub asks plugins for. Each has one request and one response JSON Schema under
 * `schemas/plugins/capabilities/`, shared by every plugin that provides it; the types below mirror them.
 */

export type Day = string;
export type Yuan = string;
export type CustomerLevel = "C1" | "C2" | "C3" | "C4" | "C5";
export type ProductRisk = "R1" | "R2" | "R3" | "R4" | "R5";
export type ProductType = "WEALTH" | "FUND" | "TRUST" | "ASSET_MGMT" | "EQUITY" | "INSURANCE" | "OTHER";
export type IdType = "ID_CARD" | "PASSPORT" | "HK_MO_PASS" | "TW_PASS" | "FOREIGN_PR" | "OTHER";

export type CustomersLookupRequest =
  { card: string } | { idNo: string } | { customerNo: string } | { name: string };

export interface LegacyCustomer {
  customerNo: string;
  name: string;
  idType: IdType;
  idNumber: string;
  phone: string | null;
  birthDate: Day | null;
  cardLast4: string[];
  orgCode: string | null;
}

export interface CustomersLookupResponse {
  customers: LegacyCustomer[];
}

export interface RiskLatestAssessmentRequest {
  customerNo: string;
}

export interface RiskLatestAssessmentResponse {
  customerNo: string;
  assessment: { level: CustomerLevel; assessedAt: Day; validUntil: Day; orgCode: string | null } | null;
}

export interface ProductsListRequest {
  changedSince: Day;
}

export interface LegacyProduct {
  code: string;
  name: string;
  type: ProductType;
  risk: ProductRisk;
  issuer: string | null;
  inceptionDate: Day | null;
  maturityDate: Day | null;
  termMonths: number | null;
  status: "ON_SALE" | "SUSPENDED" | "CLOSED";
  updatedOn: Day;
}

export interface ProductsListResponse {
  products: LegacyProduct[];
}

export interface HoldingsFullRedemptionRequest {
  customerNo: string;
  productCode: string;
}

export interface HoldingsFullRedemptionResponse {
  customerNo: string;
  productCode: string;
  status: "HELD" | "FULLY_REDEEMED" | "NOT_HELD";
  firstPurchasedOn: Day | null;
  fullyRedeemedOn: Day | null;
  reference: string | null;
}

export interface SalesListByDayRequest {
  day: Day;
  orgCode?: string;
  staffNo?: string;
}

export interface CounterSale {
  saleNo: string;
  day: Day;
  time: string | null;
  orgCode: string;
  orgName: string | null;
  staffNo: string;
  customerNo: string;
  customerName: string;
  productCode: string;
  productName: string | null;
  productType: ProductType;
  amount: Yuan;
  status: "SUCCESS" | "REVERSED";
}

export interface SalesListByDayResponse {
  day: Day;
  sales: CounterSale[];
}

export interface CrmPushActivityRequest {
  activityId: string;
  kind: "RECORDING_SUBMITTED" | "RECORDING_BOUND";
  customerNo: string;
  occurredAt: string;
  orgCode: string;
  staffNo: string;
  productCode: string;
  productName?: string;
  saleNo?: string;
  title: string;
  recordingUrl: string;
}

export interface CrmPushActivityResponse {
  activityNo: string;
  duplicate: boolean;
  timelineUrl: string | null;
}

/** Request and response type of each capability. */
export interface CapabilityMap {
  "customers.lookup": { request: CustomersLookupRequest; response: CustomersLookupResponse };
  "risk.latestAssessment": { request: RiskLatestAssessmentRequest; response: RiskLatestAssessmentResponse };
  "products.list": { request: ProductsListRequest; response: ProductsListResponse };
  "holdings.fullRedemption": {
    request: HoldingsFullRedemptionRequest;
    response: HoldingsFullRedemptionResponse;
  };
  "sales.listByDay": { request: SalesListByDayRequest; response: SalesListByDayResponse };
  "crm.pushActivity": { request: CrmPushActivityRequest; response: CrmPushActivityResponse };
}

export type CapabilityName = keyof CapabilityMap;
export type CapabilityRequest<C extends CapabilityName> = CapabilityMap[C]["request"];
export type CapabilityResponse<C extends CapabilityName> = CapabilityMap[C]["response"];

export interface CapabilityDescriptor<C extends CapabilityName> {
  requestSchema: string;
  responseSchema: string;
  /**
   * Whether a valid response settles the question. When it does not (no such customer there), the host asks the
   * next provider and returns the last response if none answers.
   */
  answered(response: CapabilityResponse<C>): boolean;
}

function schemas(name: CapabilityName): { requestSchema: string; responseSchema: string } {
  return {
    requestSchema: `plugins/capabilities/${name}.request`,
    responseSchema: `plugins/capabilities/${name}.response`,
  };
}

export const CAPABILITIES: { readonly [C in CapabilityName]: CapabilityDescriptor<C> } = {
  "customers.lookup": { ...schemas("customers.lookup"), answered: (r) => r.customers.length > 0 },
  "risk.latestAssessment": { ...schemas("risk.latestAssessment"), answered: (r) => r.assessment !== null },
  "products.list": { ...schemas("products.list"), answered: () => true },
  "holdings.fullRedemption": {
    ...schemas("holdings.fullRedemption"),
    answered: (r) => r.status !== "NOT_HELD",
  },
  "sales.listByDay": { ...schemas("sales.listByDay"), answered: () => true },
  "crm.pushActivity": { ...schemas("crm.pushActivity"), answered: () => true },
};

export const CAPABILITY_NAMES = Object.keys(CAPABILITIES) as CapabilityName[];

export function isCapabilityName(name: unknown): name is CapabilityName {
  return typeof name === "string" && Object.prototype.hasOwnProperty.call(CAPABILITIES, name);
}
