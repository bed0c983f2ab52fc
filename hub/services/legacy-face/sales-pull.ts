/**
 * The counter's own list of a day's sales (capability `sales.listByDay`, docs/soap.md "Reconciliation"): every sale
 * the hub was never notified of is stored as the notification it stands for, so that reconciliation counts the
 * purchases a counter forgot (or failed) to notify. Idempotent: a sale is stored once, whoever told the hub first.
 */
import type { PluginHost } from "../../../plugins/sdk";
import type { Database } from "../../db/database";
import { counterSaleNotice, salesToStore } from "../../domain/reconciliation";
import { normalizeNotice, type NormalizedNotice, type TxnStatus } from "../../domain/transaction-binding";
import { addDays } from "../../domain/calendar";
import type { HubError } from "../../errors/hub-error";
import { repeat, type Repeating } from "../repeat";

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

/** A day's pull is reused this long by reconciliation reads (the schedule keeps yesterday and today fresh). */
export const PULL_FRESH_MS = 60_000;

/** What a reconciliation report says of the counter's list: read, could not be read, or no counter plugin. */
export type CounterSalesStatus =
  | { status: "ok"; provider: string; listed: number; stored: number; rejected: RejectedSale[] }
  | { status: "unavailable"; code: string; message: string }
  | { status: "not-configured" };

export interface SalesPullerDeps extends SalesPullDeps {
  now(): Date;
  /** The Beijing business day of `now`. */
  today(): string;
  log(level: "info" | "warn", message: string, facts?: object): void;
}

/**
 * The counter's sales as the `legacy-face` service pulls them: on request before a reconciliation read (one pull a
 * minute per day, shared by concurrent readers) and on a schedule (yesterday and today, for sales entered after the
 * day's last pull).
 */
export class SalesPuller {
  readonly #pulls = new Map<string, { at: number; result: Promise<SalesPullResult> }>();
  #schedule: Repeating | null = null;

  constructor(private readonly deps: SalesPullerDeps) {}

  /** `day`'s pull: the one of the last minute unless `fresh`. Legacy errors are thrown typed. */
  pull(day: string, fresh = false): Promise<SalesPullResult> {
    const now = this.deps.now().getTime();
    const last = this.#pulls.get(day);
    if (!fresh && last && now - last.at < PULL_FRESH_MS) return last.result;
    const entry = { at: now, result: pullSales(this.deps, day) };
    this.#pulls.set(day, entry);
    entry.result.catch(() => {
      if (this.#pulls.get(day) === entry) this.#pulls.delete(day);
    });
    for (const key of this.#pulls.keys()) if (key < addDays(day, -7)) this.#pulls.delete(key);
    return entry.result;
  }

  /** Pulls `day` for a report; a counter that cannot answer leaves the counts to the notifications. */
  async status(day: string): Promise<CounterSalesStatus> {
    if (!this.deps.host.has("sales.listByDay")) return { status: "not-configured" };
    try {
      const { provider, listed, stored, rejected } = await this.pull(day);
      return { status: "ok", provider, listed, stored, rejected };
    } catch (error) {
      const e = error as HubError;
      return { status: "unavailable", code: e.type ?? "HUB_INTERNAL", message: e.message };
    }
  }

  /** Every `intervalMs` (0: never), the first pass 5 s after start: a node restarted at noon should not wait. */
  start(intervalMs: number): void {
    if (!intervalMs || !this.deps.host.has("sales.listByDay")) return;
    this.#schedule = repeat(intervalMs, () => this.#pass(), { firstAfterMs: Math.min(intervalMs, 5000) });
  }

  async #pass(): Promise<void> {
    const today = this.deps.today();
    for (const day of [addDays(today, -1), today]) {
      try {
        const r = await this.pull(day, true);
        if (r.stored || r.rejected.length)
          this.deps.log("info", "counter sales pulled", { ...r, rejected: r.rejected.slice(0, 20) });
      } catch (error) {
        this.deps.log("warn", `counter sales of ${day} not pulled: ${(error as Error).message}`);
      }
    }
  }

  /** Stops the schedule and waits for the pulls under way. */
  async stop(): Promise<void> {
    await this.#schedule?.stop();
    await Promise.allSettled([...this.#pulls.values()].map((p) => p.result));
  }
}
