import type { Assessment } from "../../domain/risk";

/** How staff identify a customer: a swiped card (typed by the reader), an identity number, the number, a name. */
export interface CustomerQuery {
  card?: string;
  idNo?: string;
  customerNo?: string;
  name?: string;
}

/** A customer as a source knows them; identity data in clear, masked by the service before it leaves. */
export interface CustomerRecord {
  customerNo: string;
  name: string;
  idType: string;
  idNumber: string;
  phone: string | null;
  birthDate: string | null;
  cardLast4: string[];
}

/**
 * Where customers and their risk assessments come from. The local catalog is the first source; core-banking,
 * fund and CRM plugins add theirs (capabilities `customers.lookup`, `risk.latestAssessment`), asked in order.
 */
export interface RiskSource {
  readonly name: string;
  findCustomers(query: CustomerQuery): Promise<CustomerRecord[]>;
  assessments(customerNo: string): Promise<Assessment[]>;
}
