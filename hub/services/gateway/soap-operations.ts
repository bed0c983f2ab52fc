/**
 * The operations of the SOAP face (schemas/soap/dual-record.wsdl): the action each calls, the JSON Schema its
 * request is checked against once read from XML, and how its answer is written, element by element in the order
 * of the WSDL's schema.
 */
import { el, group, rootGroup } from "./soap-xml";

export interface SoapOperation {
  /** The wrapper element of the request (`<tns:NotifyTransaction>`); the answer's is `<name>Response`. */
  name: string;
  action: string;
  schema: string;
  /** The children of the response element. */
  respond(result: never): string[];
}

interface NotifyAnswer {
  txnId: string;
  accepted: boolean;
  recordingStatus: string;
  recordingIds: string[];
}

interface StatusAnswer {
  customerNo: string;
  productCode: string;
  tradeDate: string;
  recordingStatus: string;
  transactions: Array<{
    txnId: string;
    status: string;
    branchCode: string;
    tellerId: string;
    tradeTime: string;
    recordingStatus: string;
    supplementDeadline: string | null;
  }>;
  recordings: Array<{
    recordingId: string;
    kind: string;
    status: string;
    orgCode: string;
    createdBy: string;
    submittedAt: string | null;
    bound: boolean;
    archived: boolean;
  }>;
}

interface SupplementAnswer {
  applicationId: string;
  txnId: string;
  deadline: string;
  recordingStatus: string;
}

interface Counts {
  salesCount: number;
  recordedCount: number;
  missingCount: number;
  message: string;
  supplementPendingCount: number;
  notRequiredCount: number;
  reversedCount: number;
}

interface ReconciliationAnswer extends Counts {
  branchCode: string;
  date: string;
  tellers: Array<Counts & { tellerId: string }>;
}

const counts = (c: Counts) => [
  el("salesCount", c.salesCount),
  el("recordedCount", c.recordedCount),
  el("missingCount", c.missingCount),
  el("message", c.message),
  el("supplementPendingCount", c.supplementPendingCount),
  el("notRequiredCount", c.notRequiredCount),
  el("reversedCount", c.reversedCount),
];

const operations: SoapOperation[] = [
  {
    name: "NotifyTransaction",
    action: "legacy-face.notifyTransaction",
    schema: "soap/notify-transaction",
    respond: (r: NotifyAnswer) => [
      el("txnId", r.txnId),
      el("accepted", r.accepted),
      el("recordingStatus", r.recordingStatus),
      group(
        "recordingIds",
        r.recordingIds.map((id) => el("recordingId", id)),
      ),
    ],
  },
  {
    name: "QueryRecordingStatus",
    action: "legacy-face.queryRecordingStatus",
    schema: "soap/query-recording-status",
    respond: (r: StatusAnswer) => [
      el("customerNo", r.customerNo),
      el("productCode", r.productCode),
      el("tradeDate", r.tradeDate),
      el("recordingStatus", r.recordingStatus),
      group(
        "transactions",
        r.transactions.map((t) =>
          group("transaction", [
            el("txnId", t.txnId),
            el("status", t.status),
            el("branchCode", t.branchCode),
            el("tellerId", t.tellerId),
            el("tradeTime", t.tradeTime),
            el("recordingStatus", t.recordingStatus),
            el("supplementDeadline", t.supplementDeadline),
          ]),
        ),
      ),
      group(
        "recordings",
        r.recordings.map((x) =>
          group("recording", [
            el("recordingId", x.recordingId),
            el("kind", x.kind),
            el("status", x.status),
            el("orgCode", x.orgCode),
            el("createdBy", x.createdBy),
            el("submittedAt", x.submittedAt),
            el("bound", x.bound),
            el("archived", x.archived),
          ]),
        ),
      ),
    ],
  },
  {
    name: "ApplySupplement",
    action: "legacy-face.applySupplement",
    schema: "soap/apply-supplement",
    respond: (r: SupplementAnswer) => [
      el("applicationId", r.applicationId),
      el("txnId", r.txnId),
      el("deadline", r.deadline),
      el("recordingStatus", r.recordingStatus),
    ],
  },
  {
    name: "GetDailyReconciliation",
    action: "legacy-face.getDailyReconciliation",
    schema: "soap/get-daily-reconciliation",
    respond: (r: ReconciliationAnswer) => [
      el("branchCode", r.branchCode),
      el("date", r.date),
      ...counts(r),
      group(
        "tellers",
        r.tellers.map((t) => group("teller", [el("tellerId", t.tellerId), ...counts(t)])),
      ),
    ],
  },
];

export const SOAP_OPERATIONS: ReadonlyMap<string, SoapOperation> = new Map(
  operations.map((o) => [o.name, o]),
);

/** The response element of an operation. */
export function responseElement(op: SoapOperation, result: unknown): string {
  return rootGroup(`${op.name}Response`, op.respond(result as never));
}
