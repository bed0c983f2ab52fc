import type { ServiceSchema } from "moleculer";
import type { EntityManager } from "typeorm";
import type { ChainEntry, EntryDraft } from "../../domain/audit-chain";
import { AuditEntryEntity } from "../../db/entities";
import type { HubRuntime } from "../../runtime";
import { actorOf, authorize, type HubContext, type OrgRef } from "../actor";
import { healthAction } from "../health.mixin";
import { appendEntries, appendEntriesIn, checkpointHead, fromRow, verifyStoredChain } from "./chain-store";

interface Pending {
  draft: EntryDraft;
  resolve: (value: { seq: number; hash: string }) => void;
  reject: (err: unknown) => void;
}

const MAX_BATCH = 500;
/**
 * How long the first append of a batch waits for others to join. The SQLite driver is synchronous: without a
 * pause, each request would run to its own COMMIT (and fsync) before the next one could even queue.
 */
const COMMIT_WINDOW_MS = 1;

/**
 * Appends audit entries inside another service's transaction (the SOAP face's notifications: the purchase and the
 * entry of the call that stored it commit together), to the same chain as the audit service, whichever node.
 */
export interface AuditWriter {
  append(manager: EntityManager, drafts: readonly EntryDraft[]): Promise<ChainEntry[]>;
  /** After the transaction committed: the metrics count what is durable. */
  committed(entries: number): void;
}

export function auditWriter(rt: HubRuntime): AuditWriter {
  return {
    append: (manager, drafts) =>
      appendEntriesIn(rt.db, manager, drafts, {
        privateKey: rt.auditKeys.privateKey,
        checkpointEvery: rt.config.auditCheckpointEvery,
        now: rt.clock,
      }),
    committed(entries) {
      if (!entries) return;
      rt.metrics.auditEntries.inc({}, entries);
      rt.metrics.auditBatches.inc();
    },
  };
}

export interface AuditListParams {
  from?: string;
  to?: string;
  actor?: string;
  action?: string;
  target?: string;
  result?: string;
  orgCode?: string;
  page: number;
  pageSize: number;
}

/**
 * The audit trail. Appends are group-committed: callers that arrive while a batch is being written wait for the
 * next one, so a busy hub pays one transaction (and one fsync) per batch instead of per entry.
 */
export function createAuditService(rt: HubRuntime): ServiceSchema {
  let queue: Pending[] = [];
  let flushing: Promise<void> | null = null;
  let timer: NodeJS.Timeout | null = null;

  async function flushAll(): Promise<void> {
    while (queue.length) {
      const batch = queue.slice(0, MAX_BATCH);
      queue = queue.slice(MAX_BATCH);
      try {
        const entries = await appendEntries(
          rt.db,
          batch.map((p) => p.draft),
          {
            privateKey: rt.auditKeys.privateKey,
            checkpointEvery: rt.config.auditCheckpointEvery,
            now: rt.clock,
          },
        );
        rt.metrics.auditEntries.inc({}, entries.length);
        rt.metrics.auditBatches.inc();
        batch.forEach((p, i) => p.resolve({ seq: entries[i].seq, hash: entries[i].hash }));
      } catch (err) {
        batch.forEach((p) => p.reject(err));
      }
    }
  }

  function enqueue(draft: EntryDraft): Promise<{ seq: number; hash: string }> {
    return new Promise((resolve, reject) => {
      queue.push({ draft, resolve, reject });
      if (!flushing) {
        flushing = new Promise((wait) => setTimeout(wait, COMMIT_WINDOW_MS)).then(flushAll).finally(() => {
          flushing = null;
        });
      }
    });
  }

  return {
    name: "audit",
    mixins: [healthAction(rt)],
    actions: {
      /** Internal: other services and the audit middleware append through here. */
      append: {
        visibility: "public",
        handler(ctx: HubContext<EntryDraft>) {
          return enqueue(ctx.params);
        },
      },

      list: {
        audit: { action: "audit.read", target: (p) => (p.orgCode ? `org:${p.orgCode}` : null) },
        async handler(ctx: HubContext<AuditListParams>) {
          const actor = actorOf(ctx);
          const p = ctx.params;
          const scopeCode = p.orgCode ?? actor.orgCode;
          await authorize(ctx, "audit.read", scopeCode);
          const scope = await ctx.call<OrgRef, { code: string }>("org.resolve", { code: scopeCode });
          const qb = rt.db.manager
            .getRepository(AuditEntryEntity)
            .createQueryBuilder("e")
            .leftJoin("OrgUnit", "o", "o.code = e.org");
          const isRoot = !scope.path.includes("/");
          qb.where(
            isRoot
              ? "(e.org IS NULL OR o.path = :path OR o.path LIKE :prefix)"
              : "(o.path = :path OR o.path LIKE :prefix)",
            { path: scope.path, prefix: `${scope.path}/%` },
          );
          if (p.from) qb.andWhere("e.at >= :from", { from: p.from });
          if (p.to) qb.andWhere("e.at <= :to", { to: p.to.length === 10 ? `${p.to}T23:59:59.999Z` : p.to });
          if (p.actor) qb.andWhere("e.actor = :actor", { actor: p.actor });
          if (p.action) qb.andWhere("e.action = :action", { action: p.action });
          if (p.target) qb.andWhere("e.target = :target", { target: p.target });
          if (p.result) qb.andWhere("e.result = :result", { result: p.result });
          const [rows, total] = await qb
            .orderBy("e.seq", "DESC")
            .skip((p.page - 1) * p.pageSize)
            .take(p.pageSize)
            .getManyAndCount();
          return { items: rows.map(fromRow), total, page: p.page, pageSize: p.pageSize };
        },
      },

      verify: {
        audit: { action: "audit.verify" },
        async handler(ctx: HubContext) {
          const root = await ctx.call<OrgRef>("org.root");
          await authorize(ctx, "audit.verify", root.code);
          const result = await verifyStoredChain(rt.db, rt.auditKeys.publicKey);
          (ctx as unknown as { locals: Record<string, unknown> }).locals.auditDetails = { ...result };
          return result;
        },
      },

      /** Signs the head now (tests and the periodic timer). */
      checkpoint: {
        visibility: "public",
        async handler() {
          if (!rt.auditKeys.privateKey) return null;
          await flushing;
          return checkpointHead(rt.db, rt.auditKeys.privateKey, rt.clock());
        },
      },
    },
    started() {
      timer = setInterval(() => {
        if (!rt.auditKeys.privateKey) return;
        checkpointHead(rt.db, rt.auditKeys.privateKey, rt.clock()).catch((err) =>
          this.logger.error("audit checkpoint failed", err),
        );
      }, rt.config.auditCheckpointSeconds * 1000);
      timer.unref();
    },
    async stopped() {
      if (timer) clearInterval(timer);
      // Entries already accepted are written before the node goes away.
      await flushing;
    },
  };
}
