import crypto from "node:crypto";
import type { Context, Service, ServiceBroker, ServiceSchema } from "moleculer";
import { IsNull, Not, type EntityManager } from "typeorm";
import { ProductEntity, RecordingEntity, type RecordingRow } from "../../db/entities";
import type { EntryDraft, JsonValue } from "../../domain/audit-chain";
import { businessDay } from "../../domain/business-day";
import {
  buildManifest,
  checkAbort,
  checkSubmission,
  createdAtBounds,
  decideAbort,
  decideEvidence,
  decidePlay,
  decideRead,
  decideSubmit,
  decideUpload,
  isRecordingKind,
  listMode,
  manifestText,
  MEDIA_TYPES_BY_KIND,
  mediaTypeAllowed,
  mediaTypeEssence,
  needsRiskMatch,
  recordingIdFrom,
  RECORDING_ID_PATTERN,
  relatedToProblem,
  uploadState,
  type Abort,
  type Manifest,
  type ManifestSource,
  type MediaStatus,
  type RecordingActor,
  type RecordingDecision,
  type RecordingFacts,
  type RecordingKind,
  type RecordingStatus,
  type Rendition,
} from "../../domain/recording";
import type { RiskMatch } from "../../domain/risk";
import { qualificationProblem } from "../../domain/sales-script";
import { ForbiddenError, HubError, ValidationError } from "../../errors/hub-error";
import type { HubRuntime } from "../../runtime";
import { actorOf, authorize, type Actor, type HubContext, type OrgRef } from "../actor";
import type { AuditLocals } from "../audit/audit-spec";
import { firstCheckpointFrom, loadEntryRange } from "../audit/chain-store";
import { healthAction } from "../health.mixin";
import { createMediaWorker } from "../../media";
import type { EvidenceStore } from "../../storage";
import type { KeyRing } from "../../storage/data-keys";
import { crmPushes } from "../plugin-outbox/crm-pushes";
import { MediaJobs, type MediaOutcome } from "./media-jobs";
import { scrubRecordings, storedObjects } from "./scrubber";

type Locals = { locals: AuditLocals };

/** The gateway's tus creation endpoint; clients send Upload-Metadata `recordingId` and `filetype` (base64). */
export const UPLOAD_URL = "/api/v1/uploads";

/** Emitted on the local broker when an original upload is complete: the media worker's cue. */
export const RECORDING_UPLOADED_EVENT = "recordings.uploaded";

const OBJECT_ID = /^[0-9A-Za-z_-]{1,32}$/;
const HEX64 = /^[0-9a-f]{64}$/;
const APPEND_ATTEMPTS = 3;
const CLAIM_ATTEMPTS = 3;
/** How often recordings still waiting for the media worker are offered to it again. */
const MEDIA_SWEEP_MS = 60_000;

const num = (v: string | number | null | undefined): number | null =>
  v === null || v === undefined ? null : Number(v);

function parsed<T>(text: string | null): T | null {
  return text === null || text === undefined ? null : (JSON.parse(text) as T);
}

function renditionsOf(row: RecordingRow): Rendition[] {
  const out: Rendition[] = [];
  if (uploadState(row) === "complete") out.push("original");
  if (row.canonicalObject) out.push("canonical");
  return out;
}

/** What a caller may see of a recording: never the wrapped key. The list leaves out steps, watermark and facts. */
export function recordingView(row: RecordingRow, detail = true) {
  const view = {
    id: row.id,
    kind: row.kind as RecordingKind,
    status: row.status as RecordingStatus,
    customerNo: row.customerNo,
    productCode: row.productCode,
    relatedTo: row.relatedTo,
    orgCode: row.orgCode,
    createdBy: row.createdBy,
    createdAt: row.createdAt,
    upload: { url: UPLOAD_URL, state: uploadState(row), uploadedAt: row.uploadedAt },
    media: row.uploadedAt
      ? { type: row.mediaType, size: num(row.sizeBytes), sha256: row.sha256 }
      : row.originalObject
        ? { type: row.mediaType, size: null, sha256: null }
        : null,
    mediaStatus: row.mediaStatus as MediaStatus,
    renditions: renditionsOf(row),
    startedAt: row.startedAt,
    endedAt: row.endedAt,
    submittedAt: row.submittedAt,
    chain: row.manifestSeq === null ? null : { seq: num(row.manifestSeq) },
  };
  if (!detail) return view;
  return {
    ...view,
    steps: parsed<unknown[]>(row.steps),
    watermark: parsed<Record<string, unknown>>(row.watermark),
    mediaFacts: parsed<Record<string, unknown>>(row.mediaFacts),
    mediaError: row.mediaError,
  };
}

function manifestSource(row: RecordingRow): ManifestSource {
  return {
    id: row.id,
    kind: row.kind as RecordingKind,
    relatedTo: row.relatedTo,
    customerNo: row.customerNo,
    productCode: row.productCode,
    orgCode: row.orgCode,
    createdBy: row.createdBy,
    createdAt: row.createdAt,
    mediaType: row.mediaType,
    sizeBytes: num(row.sizeBytes),
    sha256: row.sha256,
    objects: storedObjects(row),
    mediaStatus: row.mediaStatus as MediaStatus,
    mediaFacts: parsed<JsonValue>(row.mediaFacts),
    mediaError: row.mediaError,
  };
}

/** Everything a new upload replaces: the previous upload's facts and whatever the media worker made of it. */
const NO_UPLOAD: Partial<RecordingRow> = {
  sizeBytes: null,
  sha256: null,
  storedSize: null,
  storedSha256: null,
  uploadedAt: null,
  mediaStatus: "none",
  mediaFacts: null,
  mediaError: null,
  canonicalObject: null,
  canonicalMediaType: null,
  canonicalSize: null,
  canonicalSha256: null,
  canonicalStoredSize: null,
  canonicalStoredSha256: null,
  posterObject: null,
  posterMediaType: null,
  posterSize: null,
  posterSha256: null,
  posterStoredSize: null,
  posterStoredSha256: null,
};

function invalid(field: string, code: string, message: string): ValidationError {
  return new ValidationError([{ field, code, message }]);
}

/**
 * Recordings: drafts with their data key, the upload's life (grants and facts reported by the gateway's tus
 * endpoint), submit with the manifest sealed into the audit chain, metadata reads and lists, and the grants the
 * gateway needs to stream media or an evidence package. Media bytes never pass through here, except to the media
 * worker's jobs and the scrubber, which read the store of this node directly.
 */
export function createRecordingsService(
  rt: HubRuntime,
  evidence: { store: EvidenceStore; keyRing: KeyRing },
): ServiceSchema {
  const recordings = () => rt.db.manager.getRepository(RecordingEntity);
  const crm = crmPushes(rt);
  const timers: NodeJS.Timeout[] = [];
  let scrubbing: Promise<unknown> | null = null;
  let stopping = false;
  let mediaJobs: MediaJobs;

  async function load(id: unknown): Promise<RecordingRow> {
    const row =
      typeof id === "string" && RECORDING_ID_PATTERN.test(id) ? await recordings().findOneBy({ id }) : null;
    if (!row) throw new HubError("HUB_RECORDING_NOT_FOUND", `no recording ${String(id)}`, { id });
    return row;
  }

  async function factsOf(ctx: HubContext<unknown>, row: RecordingRow): Promise<RecordingFacts> {
    const org = await ctx.call<OrgRef, { code: string }>("org.resolve", { code: row.orgCode });
    return {
      createdBy: row.createdBy,
      orgPath: org.path,
      status: row.status as RecordingStatus,
      originalObject: row.originalObject,
      uploadedAt: row.uploadedAt,
      canonicalObject: row.canonicalObject,
    };
  }

  function asRecordingActor(actor: Actor): RecordingActor {
    return { username: actor.username, role: actor.role, orgPath: actor.orgPath };
  }

  /** Throws what a refused decision stands for, in the codebase's one shape for permission refusals. */
  function enforce(decision: RecordingDecision, actor: Actor, row: RecordingRow): void {
    if (decision.allowed) return;
    if (decision.code === "HUB_FORBIDDEN") {
      const why =
        decision.reason === "ROLE"
          ? `role ${actor.role} may not ${decision.action}`
          : `org ${row.orgCode} is outside ${actor.orgCode}`;
      throw new ForbiddenError(why, {
        action: decision.action,
        reason: decision.reason,
        orgCode: row.orgCode,
      });
    }
    throw new HubError(decision.code, decision.reason, { id: row.id, status: row.status });
  }

  /** Loads a recording and applies one decision to it for the caller. */
  async function decided(
    ctx: HubContext<unknown>,
    id: unknown,
    decide: (actor: RecordingActor, facts: RecordingFacts) => RecordingDecision,
  ): Promise<{ actor: Actor; row: RecordingRow }> {
    const actor = actorOf(ctx);
    const row = await load(id);
    enforce(decide(asRecordingActor(actor), await factsOf(ctx, row)), actor, row);
    return { actor, row };
  }

  /** `alsoIn` runs in the same transaction when the row was changed (what the change causes, e.g. a CRM push). */
  async function update(
    criteria: Partial<RecordingRow>,
    changes: Partial<RecordingRow>,
    alsoIn?: (m: EntityManager) => Promise<void>,
  ): Promise<boolean> {
    // typeorm's criteria type wants FindOptionsWhere; a plain partial row of column values is what it takes.
    return rt.db.transaction(async (m) => {
      const result = await m.getRepository(RecordingEntity).update(criteria as never, changes as never);
      if (result.affected === 1 && alsoIn) await alsoIn(m);
      return result.affected === 1;
    });
  }

  /** The broker's retries are off (they would repeat side effects); appending a sealed entry is safe to retry. */
  async function appendToChain(
    ctx: HubContext<unknown>,
    draft: EntryDraft,
  ): Promise<{ seq: number; hash: string }> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await ctx.call<{ seq: number; hash: string }, EntryDraft>("audit.append", draft);
      } catch (err) {
        if (attempt >= APPEND_ATTEMPTS) throw err;
        await new Promise((resolve) => setTimeout(resolve, 50 * attempt));
      }
    }
  }

  function checkedObjectId(value: unknown): string {
    if (typeof value !== "string" || !OBJECT_ID.test(value))
      throw invalid("objectId", "pattern", "must be 1–32 letters, digits, '-' or '_'");
    return value;
  }

  function checkedSize(field: string, value: unknown): number {
    if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0)
      throw invalid(field, "integer", "must be a whole, non-negative number of bytes");
    return value;
  }

  function checkedSha256(field: string, value: unknown): string {
    const hex = typeof value === "string" ? value.toLowerCase() : "";
    if (!HEX64.test(hex)) throw invalid(field, "pattern", "must be 64 hexadecimal digits");
    return hex;
  }

  /**
   * The media worker's outcome, for the upload it was made from. Before submit it becomes part of the manifest;
   * after submit it is added to the chain as its own `recording.rendition` entry, never into the manifest.
   */
  async function recordMedia(
    broker: ServiceBroker,
    row: RecordingRow,
    outcome: MediaOutcome,
  ): Promise<boolean> {
    const changes: Partial<RecordingRow> =
      outcome.status === "failed"
        ? { mediaStatus: "failed", mediaError: outcome.error }
        : {
            mediaStatus: "done",
            mediaFacts: JSON.stringify(outcome.facts),
            mediaError: null,
            ...(outcome.canonical && {
              canonicalObject: outcome.canonical.objectId,
              canonicalMediaType: outcome.canonical.type,
              canonicalSize: outcome.canonical.completed.size,
              canonicalSha256: outcome.canonical.completed.sha256,
              canonicalStoredSize: outcome.canonical.completed.storedSize,
              canonicalStoredSha256: outcome.canonical.completed.storedSha256,
            }),
            ...(outcome.poster && {
              posterObject: outcome.poster.objectId,
              posterMediaType: outcome.poster.type,
              posterSize: outcome.poster.completed.size,
              posterSha256: outcome.poster.completed.sha256,
              posterStoredSize: outcome.poster.completed.storedSize,
              posterStoredSha256: outcome.poster.completed.storedSha256,
            }),
          };
    const same = { id: row.id, originalObject: row.originalObject, mediaStatus: "pending" };
    if (await update({ ...same, status: "draft" }, changes)) return true;
    if (!(await update({ ...same, status: "submitted" }, changes))) return false;
    const after = await load(row.id);
    await broker.call("audit.append", {
      at: rt.clock().toISOString(),
      kind: "audit",
      actor: null,
      role: null,
      org: after.orgCode,
      action: "recording.rendition",
      target: `recording:${row.id}`,
      result: outcome.status === "done" ? "ok" : "failed",
      ip: null,
      details: {
        recordingId: row.id,
        manifestSeq: num(after.manifestSeq),
        mediaFacts: outcome.status === "done" ? (outcome.facts as unknown as JsonValue) : null,
        mediaError: outcome.status === "failed" ? outcome.error : null,
        objects: storedObjects(after).filter((o) => o.name !== "original") as unknown as JsonValue,
      },
    } satisfies EntryDraft);
    return true;
  }

  /** Offers every recording still waiting for its media job (after a restart, a full queue, a crash). */
  async function sweepPendingMedia(jobs: MediaJobs): Promise<void> {
    const room = Math.max(0, rt.config.mediaQueueSize - jobs.size());
    if (room === 0) return;
    const rows = await recordings().find({
      select: { id: true },
      where: { mediaStatus: "pending", uploadedAt: Not(IsNull()) },
      order: { createdAt: "ASC" },
      take: room,
    });
    for (const { id } of rows) void jobs.enqueue(id);
  }

  return {
    name: "recordings",
    mixins: [healthAction(rt)],

    created(this: Service) {
      mediaJobs = new MediaJobs({
        store: evidence.store,
        keyRing: evidence.keyRing,
        createWorker: () =>
          createMediaWorker({
            engine: rt.config.mediaEngine,
            queueSize: rt.config.mediaQueueSize,
            maxInputBytes: rt.config.mediaMaxInputBytes,
          }).then((w) => {
            this.logger.info(`media worker: ${w.description}`);
            return w;
          }),
        load: (id) => recordings().findOneBy({ id }),
        record: (row, outcome) => recordMedia(this.broker, row, outcome),
        clock: rt.clock,
        log: this.logger,
      });
    },

    started(this: Service) {
      const sweep = () =>
        sweepPendingMedia(mediaJobs).catch((err: unknown) =>
          this.logger.error("media sweep failed; it runs again", err),
        );
      void sweep();
      timers.push(setInterval(sweep, MEDIA_SWEEP_MS).unref());
      if (rt.config.scrubIntervalSeconds > 0) {
        const scrub = () => {
          if (scrubbing) return;
          scrubbing = scrubRecordings(rt.db, evidence.store, { shouldStop: () => stopping })
            .then((report) => {
              const log = report.ok ? this.logger.info : this.logger.error;
              log.call(
                this.logger,
                `evidence scrub: ${report.recordings} recordings, ${report.objects} objects, ` +
                  `${report.repaired.length} repaired, ${report.failed.length} with no good copy`,
              );
            })
            .catch((err: unknown) => this.logger.error("evidence scrub stopped", err))
            .finally(() => (scrubbing = null));
        };
        timers.push(setInterval(scrub, rt.config.scrubIntervalSeconds * 1000).unref());
      }
    },

    async stopped(this: Service) {
      stopping = true;
      for (const t of timers.splice(0)) clearInterval(t);
      await mediaJobs.stop();
      await scrubbing;
    },

    events: {
      [RECORDING_UPLOADED_EVENT]: {
        handler(this: Service, ctx: Context<{ recordingId: string }>) {
          void mediaJobs.enqueue(ctx.params.recordingId);
        },
      },
    },
    actions: {
      /** A draft for the caller's own org unit, with its own data key; a sale only when the customer may buy. */
      create: {
        audit: {
          action: "recording.create",
          target: (_p, result) => (result ? `recording:${(result as { id: string }).id}` : null),
        },
        async handler(
          ctx: HubContext<{
            customerNo: string;
            productCode: string;
            kind: string;
            relatedTo?: string | null;
          }> &
            Locals,
        ) {
          const actor = await authorize(ctx, "recording.create", actorOf(ctx).orgCode);
          const { customerNo, productCode, kind } = ctx.params;
          const relatedTo = ctx.params.relatedTo ?? null;
          ctx.locals.auditDetails = { kind, customerNo, productCode, relatedTo };
          if (!isRecordingKind(kind))
            throw invalid("body.kind", "enum", "must be one of the recording kinds");

          if (relatedTo !== null) {
            const related =
              typeof relatedTo === "string" && RECORDING_ID_PATTERN.test(relatedTo)
                ? await recordings().findOneBy({ id: relatedTo })
                : null;
            const relatedOrg = related
              ? await ctx.call<OrgRef, { code: string }>("org.resolve", { code: related.orgCode })
              : null;
            const problem = relatedToProblem(
              { kind, customerNo, productCode, relatedTo },
              actor.orgPath,
              related && relatedOrg
                ? {
                    kind: related.kind as RecordingKind,
                    customerNo: related.customerNo,
                    productCode: related.productCode,
                    orgPath: relatedOrg.path,
                  }
                : null,
            );
            if (problem) {
              throw new HubError("HUB_RECORDING_RELATED_INVALID", problem.message, {
                field: "body.relatedTo",
                reason: problem.reason,
              });
            }
          }

          if (!(await rt.db.manager.getRepository(ProductEntity).existsBy({ code: productCode }))) {
            throw new HubError("HUB_PRODUCT_NOT_FOUND", `no product ${productCode}`, {
              field: "body.productCode",
            });
          }
          if (needsRiskMatch(kind)) {
            // Selling needs a valid sales qualification (有权销售人员公示) and a customer whose level suits the product.
            const staff = await ctx.call<{
              username: string;
              qualificationCertNo: string | null;
              qualificationValidUntil: string | null;
            }>("access.me");
            const unqualified = qualificationProblem(staff, businessDay(rt.clock()));
            if (unqualified)
              throw new HubError("HUB_STAFF_NOT_QUALIFIED", unqualified.reason, { username: staff.username });
            const match = await ctx.call<RiskMatch, { customerNo: string; productCode: string }>(
              "risk-lookup.match",
              { customerNo, productCode },
            );
            ctx.locals.auditDetails.riskMatch = match.code;
            if (!match.ok) {
              throw new HubError(match.code, match.reason, {
                customerNo,
                productCode,
                customerLevel: match.customerLevel,
                productRisk: match.productRisk,
                validUntil: match.validUntil,
              });
            }
          } else {
            await ctx.call("risk-lookup.get", { customerNo });
          }

          const id = recordingIdFrom(crypto.randomBytes(16));
          const row: RecordingRow = {
            ...(NO_UPLOAD as RecordingRow),
            id,
            kind,
            status: "draft",
            customerNo,
            productCode,
            relatedTo,
            orgCode: actor.orgCode,
            createdBy: actor.username,
            createdAt: rt.clock().toISOString(),
            wrappedKey: rt.keyRing.newDataKey(id).wrapped,
            originalObject: null,
            mediaType: null,
            startedAt: null,
            endedAt: null,
            submittedAt: null,
            steps: null,
            watermark: null,
            manifest: null,
            manifestSeq: null,
          };
          await rt.db.transaction((m) => m.getRepository(RecordingEntity).insert(row));
          return { ...recordingView(row), upload: { url: UPLOAD_URL, state: "none", uploadedAt: null } };
        },
      },

      get: {
        audit: { action: "recording.read", target: (p) => `recording:${p.id}` },
        async handler(ctx: HubContext<{ id: string }>) {
          const { row } = await decided(ctx, ctx.params.id, decideRead);
          return recordingView(row);
        },
      },

      /** A page of recordings in the caller's subtree (or of their own, for sales staff), newest first. */
      list: {
        audit: { action: "recording.list", target: (p) => (p.orgCode ? `org:${p.orgCode}` : null) },
        async handler(
          ctx: HubContext<{
            customerNo?: string;
            productCode?: string;
            from?: string;
            to?: string;
            orgCode?: string;
            status?: string;
            kind?: string;
            createdBy?: string;
            q?: string;
            page: number;
            pageSize: number;
          }> &
            Locals,
        ) {
          const actor = actorOf(ctx);
          const p = ctx.params;
          const page = p.page ?? 1;
          const pageSize = p.pageSize ?? 50;
          const scopeCode = p.orgCode ?? actor.orgCode;
          const mode = listMode(actor.role);
          await authorize(ctx, mode === "own" ? "recording.create" : "recording.list", scopeCode);
          const scope = await ctx.call<OrgRef, { code: string }>("org.resolve", { code: scopeCode });
          let bounds: { from: string | null; to: string | null };
          try {
            bounds = createdAtBounds(p.from, p.to);
          } catch (err) {
            throw invalid(p.from && !p.to ? "query.from" : "query.to", "format", (err as Error).message);
          }

          const qb = recordings()
            .createQueryBuilder("r")
            .innerJoin("OrgUnit", "o", "o.code = r.orgCode")
            .where("(o.path = :path OR o.path LIKE :prefix)", {
              path: scope.path,
              prefix: `${scope.path}/%`,
            });
          if (mode === "own") qb.andWhere("r.createdBy = :me", { me: actor.username });
          if (p.customerNo) qb.andWhere("r.customerNo = :customerNo", { customerNo: p.customerNo });
          if (p.productCode) qb.andWhere("r.productCode = :productCode", { productCode: p.productCode });
          // The recycle bin has its own list (GET /recycle-bin); destroyed recordings are only in the chain.
          if (p.status) qb.andWhere("r.status = :status", { status: p.status });
          else qb.andWhere("r.status IN (:...live)", { live: ["draft", "submitted"] });
          if (p.kind) qb.andWhere("r.kind = :kind", { kind: p.kind });
          if (p.createdBy) qb.andWhere("r.createdBy = :createdBy", { createdBy: p.createdBy });
          if (bounds.from) qb.andWhere("r.createdAt >= :from", { from: bounds.from });
          if (bounds.to) qb.andWhere("r.createdAt <= :to", { to: bounds.to });
          if (p.q) {
            // Wildcards in what was typed are plain text; ESCAPE is written out for SQLite and Oracle.
            const q = p.q.replace(/[\\%_]/g, "\\$&");
            qb.andWhere(
              "(r.customerNo LIKE :q ESCAPE '\\' OR r.productCode LIKE :q ESCAPE '\\' OR r.id LIKE :idPrefix ESCAPE '\\')",
              { q: `${q}%`, idPrefix: `${q.toLowerCase()}%` },
            );
          }
          const [rows, total] = await qb
            .orderBy("r.createdAt", "DESC")
            .addOrderBy("r.id", "DESC")
            .skip((page - 1) * pageSize)
            .take(pageSize)
            .getManyAndCount();
          ctx.locals.auditDetails = { total };
          return { items: rows.map((r) => recordingView(r, false)), total, page, pageSize };
        },
      },

      /**
       * Seals the recording: its manifest goes into the audit chain as one `manifest` entry, and it never changes
       * again. The row is claimed first (draft → submitted, only if nothing changed since it was read), so two
       * submits, or a submit racing an upload or the media worker, can never seal two manifests.
       */
      submit: {
        audit: { action: "recording.submit", target: (p) => `recording:${p.id}` },
        async handler(
          ctx: HubContext<{
            id: string;
            startedAt: string;
            endedAt: string;
            steps: unknown;
            watermark: unknown;
          }> &
            Locals,
        ) {
          const { id, ...body } = ctx.params;
          const checked = checkSubmission(body);
          if (!checked.ok)
            throw new ValidationError(checked.problems.map((p) => ({ ...p, field: `body.${p.field}` })));
          const submission = checked.value;

          let manifest: Manifest | null = null;
          let actor: Actor | null = null;
          for (let attempt = 1; manifest === null; attempt++) {
            const decision = await decided(ctx, id, decideSubmit);
            actor = decision.actor;
            const row = decision.row;
            const submittedAt = rt.clock().toISOString();
            const sealed = buildManifest(manifestSource(row), submission, submittedAt);
            const claimed = await update(
              {
                id,
                status: "draft",
                originalObject: row.originalObject,
                uploadedAt: row.uploadedAt,
                mediaStatus: row.mediaStatus,
              },
              {
                status: "submitted",
                submittedAt,
                purchaseDate: businessDay(new Date(submittedAt)),
                startedAt: submission.startedAt,
                endedAt: submission.endedAt,
                steps: JSON.stringify(submission.steps),
                watermark: JSON.stringify(submission.watermark),
                manifest: manifestText(sealed),
              },
              (m) => crm.recordingSubmitted(m, id),
            );
            if (claimed) manifest = sealed;
            else if (attempt >= CLAIM_ATTEMPTS)
              throw new HubError(
                "HUB_RECORDING_NOT_DRAFT",
                "the recording kept changing while being submitted",
              );
          }

          let chain: { seq: number; hash: string };
          try {
            chain = await appendToChain(ctx, {
              at: manifest.submittedAt,
              kind: "manifest",
              actor: actor!.username,
              role: actor!.role,
              org: actor!.orgCode,
              action: "recording.submit",
              target: `recording:${id}`,
              result: "ok",
              ip: ctx.meta.clientIp ?? null,
              details: manifest as unknown as JsonValue,
            });
          } catch (err) {
            ctx.broker.logger.error(
              "manifest could not be appended to the audit chain; the recording stays a draft",
              {
                id,
                err,
              },
            );
            await update(
              { id, status: "submitted", manifestSeq: IsNull() as never },
              {
                status: "draft",
                submittedAt: null,
                purchaseDate: null,
                startedAt: null,
                endedAt: null,
                steps: null,
                watermark: null,
                manifest: null,
              },
              (m) => crm.submitUndone(m, id),
            );
            throw new HubError(
              "HUB_SERVICE_UNAVAILABLE",
              "the audit chain is unavailable; the recording stays a draft",
            );
          }
          await update({ id }, { manifestSeq: chain.seq }, (m) => crm.submitSealed(m, id));
          ctx.locals.auditDetails = { chain };
          return { id, status: "submitted", manifest, chain };
        },
      },

      /**
       * Records that a recording session was aborted, and why (the customer's risk level does not suit the product,
       * consent refused, staff cancelled, the camera failed…): the audit entry is the record. A draft the session
       * had created must be the caller's own and still a draft; it stays one (nothing is deleted, its upload is left
       * alone).
       */
      abort: {
        audit: {
          action: "recording.abort",
          target: (p) =>
            typeof p.recordingId === "string"
              ? `recording:${p.recordingId}`
              : typeof p.customerNo === "string"
                ? `customer:${p.customerNo}`
                : null,
        },
        async handler(ctx: HubContext<Record<string, unknown>> & Locals) {
          const p = ctx.params;
          const recorded = (a: Partial<Abort>) => ({
            kind: a.kind,
            reason: a.reason,
            customerNo: a.customerNo ?? null,
            productCode: a.productCode ?? null,
            step: a.step ?? null,
            steps: a.steps ?? null,
            startedAt: a.startedAt ?? null,
          });
          // What was sent, for the entry of a refused call; replaced by the checked values below.
          ctx.locals.auditDetails = recorded(p as Partial<Abort>);
          await authorize(ctx, "recording.create", actorOf(ctx).orgCode);
          const checked = checkAbort(p);
          if (!checked.ok)
            throw new ValidationError(checked.problems.map((x) => ({ ...x, field: `body.${x.field}` })));
          const abort = checked.value;
          ctx.locals.auditDetails = recorded(abort);
          if (abort.recordingId !== null) await decided(ctx, abort.recordingId, decideAbort);
          return { recorded: true };
        },
      },

      /** Internal (gateway, tus): may the caller upload to this recording now, and with which wrapped key. */
      uploadGrant: {
        visibility: "public",
        async handler(ctx: HubContext<{ recordingId: string }>) {
          const { row } = await decided(ctx, ctx.params.recordingId, decideUpload);
          return { recordingId: row.id, wrappedKey: row.wrappedKey, originalObject: row.originalObject };
        },
      },

      /** Internal (gateway, tus creation): a new original upload replaces whatever was uploaded before. */
      uploadStarted: {
        visibility: "public",
        audit: { action: "recording.uploadStarted", target: (p) => `recording:${p.recordingId}` },
        async handler(
          ctx: HubContext<{ recordingId: string; objectId: string; mediaType: string }> & Locals,
        ) {
          const objectId = checkedObjectId(ctx.params.objectId);
          const { row } = await decided(ctx, ctx.params.recordingId, decideUpload);
          const kind = row.kind as RecordingKind;
          const mediaType = mediaTypeEssence(ctx.params.mediaType);
          ctx.locals.auditDetails = { objectId, mediaType: ctx.params.mediaType };
          if (mediaType === null || !mediaTypeAllowed(kind, mediaType)) {
            throw new HubError(
              "HUB_UPLOAD_TYPE_NOT_ALLOWED",
              `a ${kind} recording takes ${MEDIA_TYPES_BY_KIND[kind].join(", ")}`,
              { kind, mediaType: ctx.params.mediaType, allowed: MEDIA_TYPES_BY_KIND[kind] },
            );
          }
          const started = await update(
            { id: row.id, status: "draft" },
            { ...NO_UPLOAD, originalObject: objectId, mediaType },
          );
          if (!started) throw new HubError("HUB_RECORDING_NOT_DRAFT", "the recording has been submitted");
          ctx.locals.auditDetails.previousObject = row.originalObject;
          return { recordingId: row.id, objectId, mediaType, previousObject: row.originalObject };
        },
      },

      /** Internal (gateway, last byte sealed): the plaintext and stored facts; the media worker's turn next. */
      uploadCompleted: {
        visibility: "public",
        audit: { action: "recording.uploadCompleted", target: (p) => `recording:${p.recordingId}` },
        async handler(
          ctx: HubContext<{
            recordingId: string;
            objectId: string;
            size: number;
            sha256: string;
            storedSize: number;
            storedSha256: string;
          }> &
            Locals,
        ) {
          const p = ctx.params;
          const objectId = checkedObjectId(p.objectId);
          const size = checkedSize("size", p.size);
          const sha256 = checkedSha256("sha256", p.sha256);
          const storedSize = checkedSize("storedSize", p.storedSize);
          const storedSha256 = checkedSha256("storedSha256", p.storedSha256);
          const { row } = await decided(ctx, p.recordingId, decideUpload);
          ctx.locals.auditDetails = { objectId, size, sha256, storedSize, storedSha256 };
          if (row.originalObject !== objectId)
            throw new HubError(
              "HUB_UPLOAD_NOT_FOUND",
              `upload ${objectId} is not this recording's current one`,
            );
          const uploadedAt = rt.clock().toISOString();
          const completed = await update(
            { id: row.id, status: "draft", originalObject: objectId },
            {
              sizeBytes: size,
              sha256,
              storedSize,
              storedSha256,
              uploadedAt,
              mediaStatus: "pending",
              mediaFacts: null,
              mediaError: null,
            },
          );
          if (!completed) {
            const now = await load(row.id);
            if (now.status !== "draft")
              throw new HubError("HUB_RECORDING_NOT_DRAFT", "the recording has been submitted");
            throw new HubError("HUB_UPLOAD_NOT_FOUND", `upload ${objectId} was replaced meanwhile`);
          }
          ctx.broker.broadcastLocal(RECORDING_UPLOADED_EVENT, { recordingId: row.id });
          return { recordingId: row.id, objectId, uploadedAt, mediaStatus: "pending" };
        },
      },

      /** Internal (gateway, tus termination): forgets the upload if it is still the recording's current one. */
      uploadTerminated: {
        visibility: "public",
        audit: { action: "recording.uploadTerminated", target: (p) => `recording:${p.recordingId}` },
        async handler(ctx: HubContext<{ recordingId: string; objectId: string }> & Locals) {
          const objectId = checkedObjectId(ctx.params.objectId);
          const { row } = await decided(ctx, ctx.params.recordingId, decideUpload);
          ctx.locals.auditDetails = { objectId };
          const cleared = await update(
            { id: row.id, status: "draft", originalObject: objectId },
            { ...NO_UPLOAD, originalObject: null, mediaType: null },
          );
          return { recordingId: row.id, cleared };
        },
      },

      /** Internal (gateway, media route): may the caller play this rendition back; every grant is audited. */
      playGrant: {
        visibility: "public",
        audit: { action: "recording.play", target: (p) => `recording:${p.id}` },
        async handler(ctx: HubContext<{ id: string; rendition?: Rendition }> & Locals) {
          const rendition = ctx.params.rendition ?? "original";
          ctx.locals.auditDetails = { rendition };
          const { row } = await decided(ctx, ctx.params.id, (a, f) => decidePlay(a, f, rendition));
          const canonical = rendition === "canonical";
          return {
            recordingId: row.id,
            rendition,
            objectId: canonical ? row.canonicalObject : row.originalObject,
            wrappedKey: row.wrappedKey,
            size: num(canonical ? row.canonicalSize : row.sizeBytes),
            mediaType: canonical ? (row.canonicalMediaType ?? row.mediaType) : row.mediaType,
            storedSize: num(canonical ? row.canonicalStoredSize : row.storedSize),
          };
        },
      },

      /**
       * Internal (gateway, evidence route): the original, and the chain from the manifest's entry to the first
       * signed checkpoint at or after it (one is signed now if none covers it yet), with the public key.
       */
      evidenceGrant: {
        visibility: "public",
        audit: { action: "recording.exportEvidence", target: (p) => `recording:${p.id}` },
        async handler(ctx: HubContext<{ id: string }>) {
          const { row } = await decided(ctx, ctx.params.id, decideEvidence);
          const seq = num(row.manifestSeq);
          if (seq === null)
            throw new HubError(
              "HUB_SERVICE_UNAVAILABLE",
              `the manifest of ${row.id} is not in the chain yet`,
            );
          await ctx.call("audit.checkpoint");
          const checkpoint = await firstCheckpointFrom(rt.db, seq);
          if (!checkpoint)
            throw new HubError("HUB_SERVICE_UNAVAILABLE", "no signed checkpoint covers the manifest yet");
          return {
            recordingId: row.id,
            objectId: row.originalObject,
            wrappedKey: row.wrappedKey,
            size: num(row.sizeBytes),
            mediaType: row.mediaType,
            manifest: row.manifest,
            manifestSeq: seq,
            entries: await loadEntryRange(rt.db, seq, checkpoint.seq),
            checkpoint,
            publicKeyPem: rt.auditKeys.publicKey.export({ type: "spki", format: "pem" }).toString(),
          };
        },
      },
    },
  };
}
