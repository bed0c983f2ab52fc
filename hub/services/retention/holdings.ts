/**
 * Full redemptions from the systems of record (docs/retention.md). A recording of an open-ended product is held
 * until its holding is fully redeemed (HELD_UNTIL_REDEMPTION); before the daily sweep recomputes, it asks
 * `holdings.fullRedemption` about those holdings — a bounded batch, the ones asked longest ago (or never) first,
 * each asked time kept in `holdings_checks` so that the next sweep goes on where this one stopped — and records a
 * full redemption reported by a system as `POST /api/v1/redemptions` would (source: the plugin; audited as
 * `redemption.record`), so the recompute of the same sweep uses it. A system that cannot be reached costs the
 * holding its turn, never the sweep. Without a provider nothing is read or asked.
 */
import crypto from "node:crypto";
import type { EntityManager } from "typeorm";
import type { PluginHost } from "../../../plugins/sdk";
import type { Database } from "../../db/database";
import { RedemptionEntity, type RedemptionRow } from "../../db/entities";
import type { ChainEntry, EntryDraft, JsonValue } from "../../domain/audit-chain";
import { businessDay } from "../../domain/business-day";
import type { HubError } from "../../errors/hub-error";

export interface HoldingsDeps {
  db: Database;
  plugins: Pick<PluginHost, "has" | "ask">;
  /** Holdings asked per sweep; 0: none. */
  batch: number;
  now: () => Date;
  append(
    drafts: EntryDraft[],
    alongside: (manager: EntityManager, entries: readonly ChainEntry[]) => Promise<void>,
  ): Promise<unknown>;
}

export interface HoldingsReport {
  /** Holdings asked about. */
  holdingsAsked: number;
  /** Full redemptions recorded from the answers (a redemption recorded before is not counted again). */
  holdingsRedeemed: number;
  /** Not answered (system down, slow, circuit open): asked first again at the next sweep. */
  holdingsUnavailable: number;
  /** Answered with an error or a redemption that cannot be (after today): asked again in turn. */
  holdingsFailed: number;
}

export const NO_HOLDINGS_ASKED: Readonly<HoldingsReport> = {
  holdingsAsked: 0,
  holdingsRedeemed: 0,
  holdingsUnavailable: 0,
  holdingsFailed: 0,
};

/** Who records a redemption taken from a system of record. */
export const HOLDINGS_ACTOR = "system:retention";
/** Holdings asked at the same time: the legacy systems are not ours to load. */
const IN_FLIGHT = 4;

export interface Holding {
  customerNo: string;
  productCode: string;
}

type Outcome = "HELD" | "NOT_HELD" | "FULLY_REDEEMED" | "FAULT";

/** The id of a redemption reported by `source`: the same report always makes the same row, once. */
export function redemptionId(source: string, h: Holding, redeemedOn: string): string {
  return crypto
    .createHash("sha256")
    .update(`holdings|${source}|${h.customerNo}|${h.productCode}|${redeemedOn}`, "utf8")
    .digest("hex")
    .slice(0, 32);
}

/**
 * Holdings whose sales are held until redemption — as last computed, or (not yet computed: submitted since the
 * last sweep) of an open-ended product — the ones asked longest ago (never asked: first) first.
 */
export async function holdingsToAsk(db: Database, batch: number): Promise<Holding[]> {
  const limit = db.type === "oracle" ? `FETCH FIRST ${batch} ROWS ONLY` : `LIMIT ${batch}`;
  const rows = await db.query<{ customer_no: string; product_code: string }>(
    db.manager,
    `SELECT h."customer_no", h."product_code"
       FROM (SELECT DISTINCT r."customer_no", r."product_code"
               FROM "recordings" r LEFT JOIN "products" p ON p."code" = r."product_code"
              WHERE r."related_to" IS NULL AND r."status" IN ('submitted', 'recycled')
                AND (r."retention_rule" = 'HELD_UNTIL_REDEMPTION'
                     OR (r."retention_rule" IS NULL AND p."maturity_date" IS NULL AND p."term_months" IS NULL
                         AND p."type" <> 'INSURANCE'))) h
       LEFT JOIN "holdings_checks" c ON c."customer_no" = h."customer_no" AND c."product_code" = h."product_code"
      ORDER BY CASE WHEN c."checked_at" IS NULL THEN 0 ELSE 1 END, c."checked_at", h."customer_no", h."product_code"
      ${limit}`,
  );
  return rows.map((r) => ({ customerNo: r.customer_no, productCode: r.product_code }));
}

/** Remembers when a holding was asked and what was answered. */
async function markChecked(
  db: Database,
  m: EntityManager,
  h: Holding,
  outcome: Outcome,
  provider: string | null,
  at: string,
): Promise<void> {
  const [exists] = await db.query(
    m,
    `SELECT "customer_no" FROM "holdings_checks" WHERE "customer_no" = ? AND "product_code" = ?`,
    [h.customerNo, h.productCode],
  );
  if (exists)
    await db.query(
      m,
      `UPDATE "holdings_checks" SET "checked_at" = ?, "outcome" = ?, "provider" = ?
        WHERE "customer_no" = ? AND "product_code" = ?`,
      [at, outcome, provider, h.customerNo, h.productCode],
    );
  else
    await db.query(
      m,
      `INSERT INTO "holdings_checks" ("customer_no", "product_code", "checked_at", "outcome", "provider")
       VALUES (?, ?, ?, ?, ?)`,
      [h.customerNo, h.productCode, at, outcome, provider],
    );
}

async function checkedAlone(deps: HoldingsDeps, h: Holding, outcome: Outcome, provider: string | null) {
  const at = deps.now().toISOString();
  try {
    await deps.db.transaction((m) => markChecked(deps.db, m, h, outcome, provider, at));
  } catch (err) {
    // Another sweep (a node, or one run by hand) inserted the same holding's first check at the same moment.
    const [row] = await deps.db.query(
      deps.db.manager,
      `SELECT "checked_at" FROM "holdings_checks" WHERE "customer_no" = ? AND "product_code" = ?`,
      [h.customerNo, h.productCode],
    );
    if (!row) throw err;
  }
}

/** Raised inside the transaction to roll back the audit entry when the redemption is already recorded. */
class AlreadyRecorded extends Error {}

/**
 * Records a full redemption reported by `source` with its audit entry and the holding's check, all or nothing.
 * False when the same full redemption (same day, from any source) was already recorded.
 */
export async function recordReportedRedemption(
  deps: Pick<HoldingsDeps, "db" | "now" | "append">,
  h: Holding,
  report: { source: string; redeemedOn: string; reference: string | null },
): Promise<boolean> {
  const { db } = deps;
  const at = deps.now().toISOString();
  const row: RedemptionRow = {
    id: redemptionId(report.source, h, report.redeemedOn),
    customerNo: h.customerNo,
    productCode: h.productCode,
    redeemedOn: report.redeemedOn,
    fullRedemption: true,
    source: report.source,
    reference: report.reference,
    recordedBy: HOLDINGS_ACTOR,
    recordedAt: at,
  };
  const entry: EntryDraft = {
    at,
    kind: "audit",
    actor: HOLDINGS_ACTOR,
    role: "system",
    org: null,
    action: "redemption.record",
    target: `holding:${h.customerNo}/${h.productCode}`,
    result: "ok",
    ip: null,
    details: { redemption: row as unknown as JsonValue },
  };
  const full = db.type === "postgres" ? true : 1;
  try {
    await deps.append([entry], async (m) => {
      const [recorded] = await db.query(
        m,
        `SELECT "id" FROM "redemptions" WHERE "customer_no" = ? AND "product_code" = ? AND "redeemed_on" = ?
            AND "full_redemption" = ?`,
        [h.customerNo, h.productCode, report.redeemedOn, full],
      );
      if (recorded) throw new AlreadyRecorded();
      await m.getRepository(RedemptionEntity).insert(row);
      await markChecked(db, m, h, "FULLY_REDEEMED", report.source, at);
    });
    return true;
  } catch (err) {
    if (err instanceof AlreadyRecorded) return false;
    // Another sweep recorded the same report at the same moment: its id is taken.
    if (await db.manager.getRepository(RedemptionEntity).existsBy({ id: row.id })) return false;
    throw err;
  }
}

/** Asks about one holding and records what the answer settles. */
async function askOne(deps: HoldingsDeps, h: Holding, today: string, report: HoldingsReport): Promise<void> {
  report.holdingsAsked++;
  let answer: Awaited<ReturnType<HoldingsDeps["plugins"]["ask"]>>;
  try {
    answer = await deps.plugins.ask("holdings.fullRedemption", h);
  } catch (err) {
    if ((err as HubError)?.retryable) {
      report.holdingsUnavailable++;
      return;
    }
    // A fault about this holding (or a customer number a system cannot take): its turn comes again later.
    report.holdingsFailed++;
    await checkedAlone(deps, h, "FAULT", null);
    return;
  }
  const { response, provider, failures } = answer as {
    response: { status: Outcome; fullyRedeemedOn: string | null; reference: string | null };
    provider: string;
    failures: unknown[];
  };
  // "Never held" while another provider could not be asked settles nothing: that one may hold it.
  if (response.status === "NOT_HELD" && failures.length) {
    report.holdingsUnavailable++;
    return;
  }
  if (response.status !== "FULLY_REDEEMED") {
    await checkedAlone(deps, h, response.status, provider);
    return;
  }
  const redeemedOn = response.fullyRedeemedOn!;
  if (redeemedOn > today) {
    report.holdingsFailed++;
    await checkedAlone(deps, h, "FAULT", provider);
    return;
  }
  const recorded = await recordReportedRedemption(deps, h, {
    source: provider,
    redeemedOn,
    reference: response.reference,
  });
  if (recorded) report.holdingsRedeemed++;
  else await checkedAlone(deps, h, "FULLY_REDEEMED", provider);
}

/** One sweep's questions about holdings; zeros, without touching the database, when no plugin can answer. */
export async function askHoldings(deps: HoldingsDeps): Promise<HoldingsReport> {
  const report: HoldingsReport = { ...NO_HOLDINGS_ASKED };
  if (deps.batch <= 0 || !deps.plugins.has("holdings.fullRedemption")) return report;
  const queue = await holdingsToAsk(deps.db, deps.batch);
  const today = businessDay(deps.now());
  const worker = async () => {
    for (let h = queue.shift(); h; h = queue.shift()) await askOne(deps, h, today, report);
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  return report;
}
