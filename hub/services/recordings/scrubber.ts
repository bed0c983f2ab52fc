/**
 * The integrity pass over submitted recordings (docs/evidence-store.md, "Integrity"): every stored object named by
 * a manifest (and every rendition made after it) is re-hashed on both replicas; a missing or corrupt copy is
 * repaired from the good one and raises an alarm (through the store's alarm sink). Shared by the recordings
 * service's background timer and `dual-record evidence verify`, so both judge alike.
 */
import { MoreThan } from "typeorm";
import type { Database } from "../../db/database";
import { RecordingEntity, type RecordingRow } from "../../db/entities";
import type { Manifest, StoredObject } from "../../domain/recording";
import type { EvidenceStore } from "../../storage";
import type { ReplicaVerdict } from "../../storage/evidence-store";

export interface ScrubTarget {
  id: string;
  wrappedKey: string;
  objects: StoredObject[];
}

/** The stored objects of a recording, with the stored file's size and hash (what the scrubber re-hashes). */
export function storedObjects(row: RecordingRow): StoredObject[] {
  const out: StoredObject[] = [];
  const add = (
    name: string,
    objectId: string | null,
    size: string | number | null,
    sha256: string | null,
  ) => {
    if (objectId && size !== null && sha256) out.push({ name, objectId, size: Number(size), sha256 });
  };
  if (row.uploadedAt) add("original", row.originalObject, row.storedSize, row.storedSha256);
  add("canonical", row.canonicalObject, row.canonicalStoredSize, row.canonicalStoredSha256);
  add("poster", row.posterObject, row.posterStoredSize, row.posterStoredSha256);
  return out;
}

/** What the manifest sealed comes first and wins; renditions made after submit are added from the row. */
export function scrubTarget(row: RecordingRow): ScrubTarget {
  const sealed = row.manifest ? (JSON.parse(row.manifest) as Manifest).objects.map((o) => ({ ...o })) : [];
  const later = storedObjects(row).filter((o) => !sealed.some((s) => s.name === o.name));
  return { id: row.id, wrappedKey: row.wrappedKey, objects: [...sealed, ...later] };
}

/** Submitted recordings by id, a page at a time (the id order keeps a long pass resumable). */
export async function scrubTargets(
  db: Database,
  afterId: string | undefined,
  limit: number,
): Promise<{ items: ScrubTarget[]; nextAfterId: string | null }> {
  const rows = await db.manager.getRepository(RecordingEntity).find({
    where: { status: "submitted", ...(afterId ? { id: MoreThan(afterId) } : {}) },
    order: { id: "ASC" },
    take: limit,
  });
  return {
    items: rows.map(scrubTarget),
    nextAfterId: rows.length === limit ? rows[rows.length - 1].id : null,
  };
}

export interface ObjectFinding {
  recordingId: string;
  name: string;
  objectId: string;
  verdicts: Record<string, ReplicaVerdict>;
  repaired: string[];
}

export interface ScrubReport {
  ok: boolean;
  recordings: number;
  objects: number;
  /** Copies found bad and made good again. */
  repaired: ObjectFinding[];
  /** Objects with no good copy left, or a bad copy that could not be repaired: someone must act. */
  failed: ObjectFinding[];
}

const PAGE = 200;

/**
 * Re-hashes and repairs the objects of every submitted recording, or only of `id`. Never throws for a bad copy:
 * the report says what was found. `onProgress` is called after each recording.
 */
export async function scrubRecordings(
  db: Database,
  store: EvidenceStore,
  options: { id?: string; onProgress?: (done: number) => void; shouldStop?: () => boolean } = {},
): Promise<ScrubReport> {
  const report: ScrubReport = { ok: true, recordings: 0, objects: 0, repaired: [], failed: [] };
  const visit = async (target: ScrubTarget) => {
    report.recordings++;
    for (const object of target.objects) {
      report.objects++;
      const result = await store.scrub(object.objectId, { size: object.size, sha256: object.sha256 });
      const finding = {
        recordingId: target.id,
        name: object.name,
        objectId: object.objectId,
        verdicts: result.verdicts,
        repaired: result.repaired,
      };
      if (!result.ok) report.failed.push(finding);
      else if (result.repaired.length > 0) report.repaired.push(finding);
    }
    options.onProgress?.(report.recordings);
  };

  if (options.id !== undefined) {
    const row = await db.manager.getRepository(RecordingEntity).findOneBy({ id: options.id });
    if (!row || row.status !== "submitted") throw new RangeError(`no submitted recording ${options.id}`);
    await visit(scrubTarget(row));
  } else {
    let afterId: string | undefined;
    do {
      const page = await scrubTargets(db, afterId, PAGE);
      for (const target of page.items) {
        if (options.shouldStop?.()) return { ...report, ok: report.failed.length === 0 };
        await visit(target);
      }
      afterId = page.nextAfterId ?? undefined;
    } while (afterId);
  }
  report.ok = report.failed.length === 0;
  return report;
}
