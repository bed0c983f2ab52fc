/**
 * 对账 — end-of-day reconciliation of counter sales with recordings, per teller and outlet (ARCHITECTURE §2,
 * "Reconciliation"), counted from the purchase notifications the legacy systems sent (docs/soap.md).
 *
 * Each purchase counts once, whatever the number of repeated notifications; a reversed purchase is no sale. A sale
 * is recorded, missing (must be recorded and is not, 补录 pending or not) or needs no recording, so that
 * `salesCount = recordedCount + missingCount + notRequiredCount` always holds. When sales outnumber recordings the
 * teller is told "今日有N笔产品购买行为未进行录音录像", N being `missingCount`.
 *
 * The counter's own list of the day's sales (capability `sales.listByDay`) fills in purchases it never notified: each
 * listed sale becomes the notification it would have sent (`counterSaleNotice`), stored once like any other.
 *
 * Pure functions only: the caller gives each transaction's recording status as of the day it asks.
 */
import type { TransactionNotice, TxnRecordingStatus, TxnStatus } from "./transaction-binding";

export interface ReconciledTxn {
  txnId: string;
  branchCode: string;
  tellerId: string;
  status: TxnStatus;
  recordingStatus: TxnRecordingStatus;
}

export interface ReconciliationCounts {
  /** Purchases that stand (not reversed). */
  salesCount: number;
  recordedCount: number;
  /** Sales that must be recorded and are not, supplementPendingCount included. */
  missingCount: number;
  /** Of the missing, those with 补录 applied for and still within its deadline. */
  supplementPendingCount: number;
  notRequiredCount: number;
  reversedCount: number;
  /** `今日有N笔产品购买行为未进行录音录像` when missingCount > 0, else "". */
  message: string;
}

export interface TellerReconciliation extends ReconciliationCounts {
  branchCode: string;
  tellerId: string;
}

export interface OutletReconciliation extends ReconciliationCounts {
  branchCode: string;
  tellers: TellerReconciliation[];
}

/** The teller's reminder for `missing` unrecorded purchases; empty when there are none. */
export function missingMessage(missing: number): string {
  return missing > 0 ? `今日有${missing}笔产品购买行为未进行录音录像` : "";
}

function emptyCounts(): ReconciliationCounts {
  return {
    salesCount: 0,
    recordedCount: 0,
    missingCount: 0,
    supplementPendingCount: 0,
    notRequiredCount: 0,
    reversedCount: 0,
    message: "",
  };
}

function add(counts: ReconciliationCounts, t: ReconciledTxn): void {
  if (t.status === "REVERSED") {
    counts.reversedCount++;
    return;
  }
  counts.salesCount++;
  switch (t.recordingStatus) {
    case "RECORDED":
      counts.recordedCount++;
      break;
    case "NOT_REQUIRED":
      counts.notRequiredCount++;
      break;
    case "SUPPLEMENT_PENDING":
      counts.supplementPendingCount++;
      counts.missingCount++;
      break;
    case "MISSING":
      counts.missingCount++;
      break;
    default:
      throw new RangeError(`unknown recording status: ${String(t.recordingStatus)}`);
  }
}

/** Sums several counts (an org subtree's outlets) into one, with its message. */
export function totalOf(parts: readonly ReconciliationCounts[]): ReconciliationCounts {
  const total = emptyCounts();
  for (const p of parts) {
    total.salesCount += p.salesCount;
    total.recordedCount += p.recordedCount;
    total.missingCount += p.missingCount;
    total.supplementPendingCount += p.supplementPendingCount;
    total.notRequiredCount += p.notRequiredCount;
    total.reversedCount += p.reversedCount;
  }
  total.message = missingMessage(total.missingCount);
  return total;
}

/**
 * Per outlet and, within it, per teller: the counts of the given transactions (one row each; the caller passes each
 * txnId once). Outlets and tellers are sorted by code. A txnId given twice is refused: it would count twice.
 */
export function reconcile(txns: readonly ReconciledTxn[]): OutletReconciliation[] {
  const seen = new Set<string>();
  const outlets = new Map<string, Map<string, TellerReconciliation>>();
  for (const t of txns) {
    if (seen.has(t.txnId)) throw new RangeError(`transaction ${t.txnId} given twice`);
    seen.add(t.txnId);
    let tellers = outlets.get(t.branchCode);
    if (!tellers) outlets.set(t.branchCode, (tellers = new Map()));
    let teller = tellers.get(t.tellerId);
    if (!teller)
      tellers.set(
        t.tellerId,
        (teller = { branchCode: t.branchCode, tellerId: t.tellerId, ...emptyCounts() }),
      );
    add(teller, t);
  }
  return [...outlets.keys()].sort().map((branchCode) => {
    const tellers = [...outlets.get(branchCode)!.values()]
      .sort((a, b) => (a.tellerId < b.tellerId ? -1 : a.tellerId > b.tellerId ? 1 : 0))
      .map((t) => ({ ...t, message: missingMessage(t.missingCount) }));
    return { branchCode, ...totalOf(tellers), tellers };
  });
}

/** One outlet's counts (zero when it had no purchase that day), optionally for one teller only. */
export function outletReconciliation(
  txns: readonly ReconciledTxn[],
  branchCode: string,
  tellerId?: string,
): OutletReconciliation {
  const mine = txns.filter(
    (t) => t.branchCode === branchCode && (tellerId === undefined || t.tellerId === tellerId),
  );
  return reconcile(mine)[0] ?? { branchCode, ...emptyCounts(), tellers: [] };
}

/** What the counter lists of one sale (capability `sales.listByDay`). */
export interface CounterSaleFacts {
  /** 交易流水号: the txnId the counter notifies the same purchase with. */
  saleNo: string;
  day: string;
  /** `HH:MM:SS` Beijing time, or null when the counter keeps only the day. */
  time: string | null;
  orgCode: string;
  staffNo: string;
  customerNo: string;
  productCode: string;
  amount: string;
  status: TxnStatus;
}

/** The notification a listed sale stands for; a sale without a time counts at the start of its day. */
export function counterSaleNotice(sale: CounterSaleFacts): TransactionNotice {
  return {
    txnId: sale.saleNo,
    sourceSystem: "COUNTER",
    customerNo: sale.customerNo,
    productCode: sale.productCode,
    amount: sale.amount,
    branchCode: sale.orgCode,
    tellerId: sale.staffNo,
    tradeTime: `${sale.day}T${sale.time ?? "00:00:00"}+08:00`,
    status: sale.status,
  };
}

/**
 * The listed sales the hub must still store: those it has never heard of, and purchases it holds as SUCCESS that the
 * counter now lists as reversed. A sale listed twice is taken once (the later entry: a reversal follows its sale).
 */
export function salesToStore<S extends Pick<CounterSaleFacts, "saleNo" | "status">>(
  sales: readonly S[],
  known: ReadonlyMap<string, TxnStatus>,
): S[] {
  const latest = new Map<string, S>();
  for (const sale of sales) latest.set(sale.saleNo, sale);
  return [...latest.values()].filter((sale) => {
    const held = known.get(sale.saleNo);
    return held === undefined || (held === "SUCCESS" && sale.status === "REVERSED");
  });
}
