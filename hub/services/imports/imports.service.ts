import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ServiceBroker, ServiceSchema } from "moleculer";
import { In } from "typeorm";
import { ImportJobEntity, type ImportJobRow, type ImportJobStatus } from "../../db/entities";
import { businessDay } from "../../domain/business-day";
import { HubError } from "../../errors/hub-error";
import {
  parseImport,
  templateCsv,
  templateFilename,
  templateXlsx,
  type ImportError,
  type ImportKind,
} from "../../imports";
import type { HubRuntime } from "../../runtime";
import { actorOf, authorize, type HubContext, type HubMeta, type OrgRef } from "../actor";
import type { AuditLocals } from "../audit/audit-spec";
import { healthAction } from "../health.mixin";
import { writeCustomers, writeProducts, type ImportCounts, type ImporterRef } from "./import-writer";

type Locals = { locals: AuditLocals };

/** What moleculer-web puts in meta for a multipart upload. */
interface UploadMeta extends HubMeta {
  filename?: string;
  mimetype?: string;
  $statusCode?: number;
  $responseType?: string;
  $responseHeaders?: Record<string, string>;
}

const PERMISSION = { products: "product.import", customers: "customer.import" } as const;
/** Jobs whose upload is still on disk in one of these states are run again at start. */
const RESUMABLE: readonly ImportJobStatus[] = ["queued", "reading", "writing", "failed"];
/** How long a stopping node waits for its running jobs (a cut-short job runs again at the next start). */
const STOP_WAIT_MS = 30_000;

/** Thrown inside the write transaction to roll it back when rows are refused against what is stored. */
class Refused extends Error {
  constructor(readonly errors: ImportError[]) {
    super("import refused");
  }
}

type Outcome = { status: "done"; counts: ImportCounts } | { status: "invalid"; errors: ImportError[] };

function jobView(job: ImportJobRow, liveProcessed?: number) {
  const result = job.result ? (JSON.parse(job.result) as Record<string, unknown>) : {};
  return {
    jobId: job.id,
    kind: job.kind,
    status: job.status,
    fileName: job.fileName,
    sizeBytes: job.sizeBytes === null ? null : Number(job.sizeBytes),
    totalRows: job.totalRows,
    processedRows: liveProcessed ?? job.processedRows,
    createdBy: job.createdBy,
    createdAt: job.createdAt,
    finishedAt: job.finishedAt,
    ...result,
  };
}

/**
 * Batch imports of products (head office, branches) and customers (head office): the upload is kept on disk,
 * checked whole, and written in one transaction or not at all. Small files are imported while the request
 * waits; large ones run as a job whose progress can be asked for, and which resumes after a restart.
 */
export function createImportsService(rt: HubRuntime): ServiceSchema {
  const spoolDir = path.join(rt.config.dataDir, "imports");
  const jobs = () => rt.db.manager.getRepository(ImportJobEntity);
  const spoolFile = (id: string) => path.join(spoolDir, `${id}.upload`);
  /** Rows written so far by jobs running on this node (the database row has it at each phase). */
  const live = new Map<string, number>();
  let broker: ServiceBroker;
  const running = new Set<Promise<unknown>>();

  function importer(job: ImportJobRow, root: OrgRef): ImporterRef {
    return {
      username: job.createdBy,
      orgCode: job.orgCode ?? root.code,
      headOffice: job.orgCode === root.code,
    };
  }

  async function setJob(id: string, changes: Partial<ImportJobRow>) {
    await rt.db.transaction((m) => m.getRepository(ImportJobEntity).update({ id }, changes));
  }

  /** Reads, checks and writes one spooled upload; the outcome is stored on the job. */
  async function runJob(job: ImportJobRow, root: OrgRef): Promise<Outcome> {
    const kind = job.kind as ImportKind;
    live.set(job.id, 0);
    try {
      await setJob(job.id, { status: "reading" });
      const data = await fs.promises.readFile(spoolFile(job.id));
      const parsed = await parseImport(kind, data, {
        filename: job.fileName ?? undefined,
        contentType: job.contentType ?? undefined,
        today: businessDay(rt.clock()),
      });
      let outcome: Outcome;
      if (parsed.errors.length) {
        outcome = { status: "invalid", errors: parsed.errors };
      } else {
        await setJob(job.id, { status: "writing", totalRows: parsed.rows.length });
        const who = importer(job, root);
        const progress = (done: number) => live.set(job.id, done);
        try {
          const counts = await rt.db.transaction(async (m) => {
            const written =
              kind === "products"
                ? await writeProducts(rt, m, parsed.rows as never, parsed.columns, who, progress)
                : await writeCustomers(rt, m, parsed.rows as never, parsed.columns, who, progress);
            if ("errors" in written) throw new Refused(written.errors);
            // Done is recorded with the data: a crash can never leave the rows written and the job unfinished.
            await m.getRepository(ImportJobEntity).update(
              { id: job.id },
              {
                status: "done",
                processedRows: parsed.rows.length,
                result: JSON.stringify({ result: written.counts }),
                finishedAt: rt.clock().toISOString(),
              },
            );
            return written.counts;
          });
          outcome = { status: "done", counts };
        } catch (err) {
          if (!(err instanceof Refused)) throw err;
          outcome = { status: "invalid", errors: err.errors };
        }
      }
      if (outcome.status === "invalid") {
        await setJob(job.id, {
          status: "invalid",
          result: JSON.stringify({ errors: outcome.errors }),
          finishedAt: rt.clock().toISOString(),
        });
      }
      await fs.promises.rm(spoolFile(job.id), { force: true });
      return outcome;
    } catch (err) {
      // Our fault (database, disk): the upload stays on disk and the job is retried at the next start.
      await setJob(job.id, {
        status: "failed",
        result: JSON.stringify({ error: { code: "HUB_INTERNAL", message: (err as Error).message } }),
        finishedAt: rt.clock().toISOString(),
      }).catch(() => undefined);
      throw err;
    } finally {
      live.delete(job.id);
    }
  }

  /** The audit entry of a job that finished after its request had been answered. */
  async function auditCompletion(job: ImportJobRow, outcome: Outcome | Error) {
    const details =
      outcome instanceof Error
        ? { jobId: job.id, error: "HUB_INTERNAL" }
        : outcome.status === "done"
          ? { jobId: job.id, ...outcome.counts }
          : { jobId: job.id, error: "HUB_IMPORT_INVALID", errors: outcome.errors.length };
    await broker.call("audit.append", {
      at: rt.clock().toISOString(),
      kind: "audit",
      actor: job.createdBy,
      role: null,
      org: job.orgCode,
      action: PERMISSION[job.kind as ImportKind],
      target: `import:${job.id}`,
      result: outcome instanceof Error ? "failed" : outcome.status === "done" ? "ok" : "failed",
      ip: null,
      details,
    });
  }

  function runInBackground(job: ImportJobRow, root: OrgRef) {
    const run = runJob(job, root)
      .then(
        (outcome) => auditCompletion(job, outcome),
        (err: Error) => {
          broker.logger.error("import job failed", { jobId: job.id, err });
          return auditCompletion(job, err);
        },
      )
      .catch((err) => broker.logger.error("import job could not be audited", { jobId: job.id, err }))
      .finally(() => running.delete(run));
    running.add(run);
  }

  /** Jobs cut short by a stop or a crash start again from their upload; their writes were never committed. */
  async function resumeStranded() {
    // Only jobs that may need running again: a finished one can carry every error of its file.
    const candidates = await jobs().find({ where: { status: In([...RESUMABLE]) } });
    const stranded = candidates.filter((j) => fs.existsSync(spoolFile(j.id)));
    if (!stranded.length) return;
    await broker.waitForServices(["org", "audit"]);
    const root = await broker.call<OrgRef>("org.root");
    for (const job of stranded) {
      broker.logger.info("resuming import job", job.id);
      runInBackground(job, root);
    }
  }

  async function receive(ctx: HubContext<Readable> & Locals, kind: ImportKind) {
    const meta = ctx.meta as UploadMeta;
    const actor = actorOf(ctx);
    const root = await ctx.call<OrgRef>("org.root");
    // Customers are the bank's: head office only. Products: head office, or a branch for its subtree.
    await authorize(ctx, PERMISSION[kind], kind === "customers" ? root.code : actor.orgCode);

    const id = crypto.randomUUID();
    await fs.promises.mkdir(spoolDir, { recursive: true });
    let size = 0;
    try {
      await pipeline(
        ctx.params,
        async function* (chunks: AsyncIterable<Buffer>) {
          for await (const chunk of chunks) {
            size += chunk.length;
            if (size > rt.config.importMaxBytes) throw new HubError("HUB_BODY_TOO_LARGE");
            yield chunk;
          }
        },
        fs.createWriteStream(spoolFile(id), { flags: "wx" }),
      );
    } catch (err) {
      await fs.promises.rm(spoolFile(id), { force: true });
      const e = err as { type?: string };
      if (e.type === "PAYLOAD_TOO_LARGE" || e.type === "HUB_BODY_TOO_LARGE") {
        throw new HubError(
          "HUB_BODY_TOO_LARGE",
          `an import file may have at most ${rt.config.importMaxBytes} bytes`,
          {
            field: "file",
            maxBytes: rt.config.importMaxBytes,
          },
        );
      }
      throw err;
    }

    const job: ImportJobRow = {
      id,
      kind,
      status: "queued",
      fileName: meta.filename ?? null,
      contentType: meta.mimetype ?? null,
      sizeBytes: size,
      orgCode: kind === "customers" ? root.code : actor.orgCode,
      totalRows: null,
      processedRows: 0,
      result: null,
      createdBy: actor.username,
      createdAt: rt.clock().toISOString(),
      finishedAt: null,
    };
    await rt.db.transaction((m) => m.getRepository(ImportJobEntity).insert(job));
    ctx.locals.auditDetails = { jobId: id, fileName: job.fileName, sizeBytes: size };

    if (size > rt.config.importInlineBytes) {
      ctx.locals.auditDetails.mode = "job";
      runInBackground(job, root);
      meta.$statusCode = 202;
      // moleculer-web sends $location only with 201 and redirects.
      meta.$responseHeaders = { Location: `/api/v1/imports/${id}` };
      return jobView({ ...job });
    }

    const outcome = await runJob(job, root);
    if (outcome.status === "invalid") {
      ctx.locals.auditDetails.errors = outcome.errors.length;
      throw new HubError("HUB_IMPORT_INVALID", `${outcome.errors.length} error(s); nothing was imported`, {
        jobId: id,
        errors: outcome.errors,
      });
    }
    Object.assign(ctx.locals.auditDetails, outcome.counts);
    return { jobId: id, status: "done", ...outcome.counts };
  }

  return {
    name: "imports",
    mixins: [healthAction(rt)],

    created() {
      broker = this.broker;
    },
    started() {
      resumeStranded().catch((err) => broker.logger.error("import jobs could not be resumed", err));
    },
    async stopped() {
      if (!running.size) return;
      broker.logger.info(`waiting for ${running.size} import job(s) to finish`);
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled([...running]),
        new Promise((resolve) => (timer = setTimeout(resolve, STOP_WAIT_MS))),
      ]);
      clearTimeout(timer);
    },

    actions: {
      importProducts: {
        audit: { action: "product.import", target: (_p, r) => importTarget(r) },
        handler(ctx: HubContext<Readable> & Locals) {
          return receive(ctx, "products");
        },
      },
      importCustomers: {
        audit: { action: "customer.import", target: (_p, r) => importTarget(r) },
        handler(ctx: HubContext<Readable> & Locals) {
          return receive(ctx, "customers");
        },
      },

      /** A job's state: progress while it runs; counts, or every error, once it is over. */
      job: {
        async handler(ctx: HubContext<{ jobId: string }>) {
          const job = await jobs().findOneBy({ id: ctx.params.jobId });
          if (!job) throw new HubError("HUB_IMPORT_JOB_NOT_FOUND", `no import job ${ctx.params.jobId}`);
          const root = await ctx.call<OrgRef>("org.root");
          await authorize(ctx, PERMISSION[job.kind as ImportKind], job.orgCode ?? root.code);
          return jobView(job, live.get(job.id));
        },
      },

      /** The file to fill in: headers and one example row, in Chinese (default) or English headers. */
      template: {
        async handler(ctx: HubContext<{ kind: ImportKind; format?: "csv" | "xlsx"; lang?: "zh" | "en" }>) {
          const actor = actorOf(ctx);
          await authorize(ctx, PERMISSION[ctx.params.kind], actor.orgCode);
          const { kind, format = "xlsx", lang = "zh" } = ctx.params;
          const meta = ctx.meta as UploadMeta;
          meta.$responseType =
            format === "csv"
              ? "text/csv; charset=utf-8"
              : "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
          meta.$responseHeaders = {
            "Content-Disposition": `attachment; filename="${templateFilename(kind, format, lang)}"`,
          };
          return format === "csv" ? templateCsv(kind, lang) : await templateXlsx(kind, lang);
        },
      },
    },
  };
}

function importTarget(result: unknown): string | null {
  const jobId = (result as { jobId?: string } | undefined)?.jobId;
  return jobId ? `import:${jobId}` : null;
}
