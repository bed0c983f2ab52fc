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

type Scalar = string | number | boolean | null;

/** One element per field, named as the field, in the order given (the WSDL's). */
function fields<T, K extends keyof T>(record: T, names: readonly K[]): string[] {
  return names.map((name) => el(String(name), record[name] as Scalar));
}

const counts = (c: Counts) =>
  fields(c, [
    "salesCount",
    "recordedCount",
    "missingCount",
    "message",
    "supplementPendingCount",
    "notRequiredCount",
    "reversedCount",
  ]);

const operations: SoapOperation[] = [
  {
    name: "NotifyTransaction",
    action: "legacy-face.notifyTransaction",
    schema: "soap/notify-transaction",
    respond: (r: NotifyAnswer) => [
      ...fields(r, ["txnId", "accepted", "recordingStatus"]),
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
      ...fields(r, ["customerNo", "productCode", "tradeDate", "recordingStatus"]),
      group(
        "transactions",
        r.transactions.map((t) =>
          group(
            "transaction",
            fields(t, [
              "txnId",
              "status",
              "branchCode",
              "tellerId",
              "tradeTime",
              "recordingStatus",
              "supplementDeadline",
            ]),
          ),
        ),
      ),
      group(
        "recordings",
        r.recordings.map((x) =>
          group(
            "recording",
            fields(x, [
              "recordingId",
              "kind",
              "status",
              "orgCode",
              "createdBy",
              "submittedAt",
              "bound",
              "archived",
            ]),
          ),
        ),
      ),
    ],
  },
  {
    name: "ApplySupplement",
    action: "legacy-face.applySupplement",
    schema: "soap/apply-supplement",
    respond: (r: SupplementAnswer) => fields(r, ["applicationId", "txnId", "deadline", "recordingStatus"]),
  },
  {
    name: "GetDailyReconciliation",
    action: "legacy-face.getDailyReconciliation",
    schema: "soap/get-daily-reconciliation",
    respond: (r: ReconciliationAnswer) => [
      ...fields(r, ["branchCode", "date"]),
      ...counts(r),
      group(
        "tellers",
        r.tellers.map((t) => group("teller", [...fields(t, ["tellerId"]), ...counts(t)])),
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
