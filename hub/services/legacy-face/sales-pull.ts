/**
 * The counter's own list of a day's sales (capability `sales.listByDay`, docs/soap.md "Reconciliation"): every sale
 * the hub was never notified of is stored as the notification it stands for, so that reconciliation counts the
 * purchases a counter forgot (or failed) to notify. Idempotent: a sale is stored once, whoever told the hub first.
 */
import type { PluginHost } from "../../../plugins/sdk";
import type { Database } from "../../db/database";
import { counterSaleNotice, salesToStore } from "../../domain/reconciliation";
import { normalizeNotice, type NormalizedNotice, type TxnStatus } from "../../domain/transaction-binding";
import type { HubError } from "../../errors/hub-error";

/** Notifications stored at once (the store writes them in one transaction). */
const CHUNK = 50;

export interface RejectedSale {
  saleNo: string;
  code: string;
  message: string;
  field?: string;
}

export interface SalesPullResult {
  day: string;
  /** The counter plugin that listed them. */
  provider: string;
  listed: number;
  /** New purchases, and purchases the counter now lists as reversed. */
  stored: number;
  /** Already known (notified or pulled before). */
  known: number;
  rejected: RejectedSale[];
}

export interface SalesPullDeps {
  host: PluginHost;
  db: Database;
  /** Stores one notification as NotifyTransaction does (recording rule at the outlet, binding, outbox). */
  record(notice: NormalizedNotice, notifiedBy: string): Promise<unknown>;
}

async function knownStatuses(db: Database, saleNos: readonly string[]): Promise<Map<string, TxnStatus>> {
  const known = new Map<string, TxnStatus>();
  for (let i = 0; i < saleNos.length; i += 500) {
    const slice = saleNos.slice(i, i + 500);
    const rows = await db.query<{ txn_id: string; status: string }>(
      db.manager,
      `SELECT "txn_id", "status" FROM "transactions" WHERE "txn_id" IN (${slice.map(() => "?").join(", ")})`,
      slice,
    );
    for (const r of rows) known.set(r.txn_id, r.status as TxnStatus);
  }
  return known;
}

/** Asks the counter for `day`'s sales and stores those the hub does not hold yet. Legacy errors are thrown typed. */
export async function pullSales(deps: SalesPullDeps, day: string): Promise<SalesPullResult> {
  const { provider, response } = await deps.host.ask("sales.listByDay", { day });
  const sales = response.sales.filter((s) => s.day === day);
  const known = await knownStatuses(
    deps.db,
    sales.map((s) => s.saleNo),
  );
  const toStore = salesToStore(sales, known);
  const rejected: RejectedSale[] = [];
  let stored = 0;
  for (let i = 0; i < toStore.length; i += CHUNK) {
    await Promise.all(
      toStore.slice(i, i + CHUNK).map(async (sale) => {
        const checked = normalizeNotice(counterSaleNotice(sale));
        if (!checked.ok) {
          const [first] = checked.problems;
          rejected.push({
            saleNo: sale.saleNo,
            code: "HUB_VALIDATION_FAILED",
            field: first.field,
            message: first.message,
          });
          return;
        }
        try {
          await deps.record(checked.value, `plugin:${provider}`);
          stored += 1;
        } catch (error) {
          const e = error as HubError;
          const field = (e.data as { field?: unknown } | undefined)?.field;
          rejected.push({
            saleNo: sale.saleNo,
            code: e.type ?? "HUB_INTERNAL",
            message: e.message,
            ...(typeof field === "string" ? { field } : {}),
          });
        }
      }),
    );
  }
  return { day, provider, listed: sales.length, stored, known: sales.length - toStore.length, rejected };
}
