/**
 * An offline consistency check of a STOPPED server's data directory: it reads `meta.kv`
 * directly (a copy of it, so the server's own recovery later sees the files untouched) and
 * walks `blobs/` and `tmp/`, and lists every way metadata and files disagree.
 *
 * Invariants that hold at every instant, even right after SIGKILL (each is established in
 * one KV atomic, after the blob files it names are durable):
 * - every object's blob (single layout) or kept parts (parts layout) exist with their sizes;
 * - every ["blob", id] reference has its file and names an owner that points back at it;
 * - every part record belongs to a live upload, a completed object, or pending cleanup;
 * - the bucket counters equal the number and byte sum of the bucket's objects;
 * - the folder index holds exactly the objects and per-folder counts they imply.
 * Only after a clean stop (the startup sweep has run, nothing is in flight):
 * - no blob file without a reference (orphans are swept), tmp/ is empty, no cleanup is owed.
 */
import { join } from "node:path";
import { isDeepStrictEqual } from "node:util";
import { FOLDER_DEPTH } from "../../src/storage/folders.ts";
import { INLINE_MAX_BYTES } from "../../src/storage/limits.ts";
import type { GarbageRecord } from "../../src/storage/parts.ts";
import {
  decodeListEntry,
  listEntryOfRecord,
  type ObjectRecord,
  type PartRecord,
  type StoredListEntry,
  type UploadRecord,
} from "../../src/storage/records.ts";

export interface DataDirReport {
  buckets: number;
  objects: number;
  /** Sum of object sizes. */
  bytes: number;
  blobFiles: number;
  /** Blob files without a ["blob", id] reference. */
  orphanBlobs: string[];
  /** Files in tmp/. */
  tmpFiles: string[];
  /** Multipart uploads still in progress. */
  uploads: number;
  /** ["gc", uploadId] records: part cleanup still owed. */
  garbageRecords: number;
  /** Every invariant that does not hold, in words. */
  problems: string[];
}

const BLOB_ID = /^[0-9a-f]{32}$/;

/**
 * Inspects `dataDir` (the server must be stopped or killed). `clean` adds the checks that
 * only hold after a clean stop: no orphans, no temp files, no owed cleanup.
 */
export async function inspectDataDir(
  dataDir: string,
  opts: { clean: boolean },
): Promise<DataDirReport> {
  const problems: string[] = [];
  const files = await blobFiles(dataDir, problems);
  const tmpFiles = await listNames(join(dataDir, "tmp"));
  const entries = await readKvCopy(dataDir);

  const objects: { bucket: string; key: string; rec: ObjectRecord }[] = [];
  const refs = new Map<string, Record<string, unknown>>();
  const parts = new Map<string, Map<number, PartRecord>>();
  const uploads = new Map<string, { bucket: string; key: string; rec: UploadRecord }>();
  const garbage = new Map<string, GarbageRecord>();
  const listings = new Map<string, StoredListEntry>();
  const counters = new Map<string, { objects?: bigint; bytes?: bigint }>();
  const buckets = new Set<string>();
  const folderIndex = new Map<string, unknown>();
  for (const { key, value } of entries) {
    switch (key[0]) {
      case "dir":
        folderIndex.set(JSON.stringify(key.slice(1)), value);
        break;
      case "bucket":
        buckets.add(key[1] as string);
        break;
      case "obj":
        objects.push({
          bucket: key[1] as string,
          key: key[2] as string,
          rec: value as ObjectRecord,
        });
        break;
      case "blob":
        refs.set(key[1] as string, value as Record<string, unknown>);
        break;
      case "lst":
        listings.set(`${key[1] as string}\u0000${key[2] as string}`, value as StoredListEntry);
        break;
      case "part": {
        const id = key[1] as string;
        if (!parts.has(id)) parts.set(id, new Map());
        parts.get(id)!.set(key[2] as number, value as PartRecord);
        break;
      }
      case "upload":
        uploads.set(key[3] as string, {
          bucket: key[1] as string,
          key: key[2] as string,
          rec: value as UploadRecord,
        });
        break;
      case "gc":
        garbage.set(key[1] as string, value as GarbageRecord);
        break;
      case "bstat": {
        const c = counters.get(key[1] as string) ?? {};
        const n = (value as Deno.KvU64).value;
        if (key[2] === "objects") c.objects = n;
        else if (key[2] === "bytes") c.bytes = n;
        counters.set(key[1] as string, c);
        break;
      }
    }
  }

  /** A blob that metadata says exists: its file with this size and a reference to `owner`. */
  const expectBlob = (
    blobId: string,
    size: number,
    what: string,
    owner: Record<string, unknown>,
  ) => {
    const fileSize = files.get(blobId);
    if (fileSize === undefined) problems.push(`${what}: blob ${blobId} has no file`);
    else if (fileSize !== size) {
      problems.push(`${what}: blob ${blobId} is ${fileSize} bytes, metadata says ${size}`);
    }
    const ref = refs.get(blobId);
    if (!ref) problems.push(`${what}: blob ${blobId} has no ["blob"] reference`);
    else if (JSON.stringify(ref) !== JSON.stringify(owner)) {
      problems.push(`${what}: blob ${blobId} is referenced by ${JSON.stringify(ref)}`);
    }
  };

  // Objects → blobs, and per-bucket totals.
  const totals = new Map<string, { objects: number; bytes: number }>();
  const partsOwnedByObjects = new Map<string, [number, number][]>();
  const seenBlobs = new Set<string>();
  for (const { bucket, key, rec } of objects) {
    const what = `object ${bucket}/${JSON.stringify(key)}`;
    // The listing projection is written in the same commit as the record: always equal.
    const listed = listings.get(`${bucket}\u0000${key}`);
    listings.delete(`${bucket}\u0000${key}`);
    const shown = listed === undefined ? undefined : decodeListEntry(listed);
    if (!isDeepStrictEqual(shown, listEntryOfRecord(rec))) {
      problems.push(`${what}: listing entry ${JSON.stringify(shown)} does not match the record`);
    }
    const t = totals.get(bucket) ?? { objects: 0, bytes: 0 };
    t.objects++;
    t.bytes += rec.size;
    totals.set(bucket, t);
    if (!buckets.has(bucket)) problems.push(`${what}: its bucket does not exist`);
    const layout = rec.layout;
    if (layout.kind === "inline") {
      if (layout.bytes.length !== rec.size || rec.size === 0 || rec.size > INLINE_MAX_BYTES) {
        problems.push(`${what}: ${layout.bytes.length} inline bytes, object says ${rec.size}`);
      }
      continue;
    }
    if (layout.kind === "single") {
      if (layout.blobId === null) {
        if (rec.size !== 0) problems.push(`${what}: ${rec.size} bytes but no blob`);
      } else {
        if (seenBlobs.has(layout.blobId)) problems.push(`${what}: blob ${layout.blobId} shared`);
        seenBlobs.add(layout.blobId);
        expectBlob(layout.blobId, rec.size, what, { bucket, key });
      }
      continue;
    }
    if (partsOwnedByObjects.has(layout.uploadId)) {
      problems.push(`${what}: upload ${layout.uploadId} is the manifest of two objects`);
    }
    partsOwnedByObjects.set(layout.uploadId, layout.runs);
    const kept = [...(parts.get(layout.uploadId)?.values() ?? [])]
      .filter((p) => inRuns(layout.runs, p.partNumber));
    if (kept.length !== layout.partCount) {
      problems.push(`${what}: ${kept.length} part records, layout says ${layout.partCount}`);
    }
    const sum = kept.reduce((n, p) => n + p.size, 0);
    if (sum !== rec.size) {
      problems.push(`${what}: parts hold ${sum} bytes, object says ${rec.size}`);
    }
    for (const p of kept) {
      if (p.blobId === null) {
        if (p.size !== 0) problems.push(`${what}: part ${p.partNumber} has bytes but no blob`);
        continue;
      }
      // The file and reference are checked with every other part record below.
      if (seenBlobs.has(p.blobId)) problems.push(`${what}: blob ${p.blobId} shared`);
      seenBlobs.add(p.blobId);
    }
  }

  // Every part record has its file and reference (cleanup deletes the record and reference
  // in one commit, then the file). Parts that are neither an upload's, nor an object's, nor
  // owed to cleanup are leaked forever.
  for (const [uploadId, byNumber] of parts) {
    const runs = partsOwnedByObjects.get(uploadId);
    const gc = garbage.get(uploadId);
    for (const [n, p] of byNumber) {
      const owned = uploads.has(uploadId) || (runs !== undefined && inRuns(runs, n));
      const owed = gc !== undefined && (gc.keep === null || !inRuns(gc.keep, n));
      if (!owned && !owed) problems.push(`part ${uploadId}/${n} belongs to nothing (leaked)`);
      if (p.blobId) {
        expectBlob(p.blobId, p.size, `upload ${uploadId} part ${n}`, { upload: uploadId, part: n });
      }
    }
  }

  // References → files and back to their owners.
  for (const [blobId, owner] of refs) {
    if (!files.has(blobId)) problems.push(`reference ["blob", ${blobId}] has no file`);
    if (typeof owner.bucket === "string") {
      const o = objects.find((x) => x.bucket === owner.bucket && x.key === owner.key);
      if (o?.rec.layout.kind !== "single" || o.rec.layout.blobId !== blobId) {
        problems.push(
          `reference ${blobId} names ${JSON.stringify(owner)}, which is not its object`,
        );
      }
    } else if (typeof owner.upload === "string") {
      const p = parts.get(owner.upload)?.get(owner.part as number);
      if (p?.blobId !== blobId) {
        problems.push(`reference ${blobId} names ${JSON.stringify(owner)}, which is not its part`);
      }
    } else problems.push(`reference ${blobId} has an unknown owner ${JSON.stringify(owner)}`);
  }

  // Counters.
  for (const bucket of new Set([...buckets, ...totals.keys(), ...counters.keys()])) {
    const t = totals.get(bucket) ?? { objects: 0, bytes: 0 };
    const c = counters.get(bucket) ?? {};
    if (BigInt(t.objects) !== (c.objects ?? 0n)) {
      problems.push(`bucket ${bucket}: object counter ${c.objects ?? 0n}, actual ${t.objects}`);
    }
    if (BigInt(t.bytes) !== (c.bytes ?? 0n)) {
      problems.push(`bucket ${bucket}: byte counter ${c.bytes ?? 0n}, actual ${t.bytes}`);
    }
  }

  problems.push(...folderIndexProblems(objects, folderIndex));

  for (const stale of listings.keys()) {
    problems.push(`listing entry ${JSON.stringify(stale.split("\u0000"))} has no object`);
  }

  const orphanBlobs = [...files.keys()].filter((id) => !refs.has(id));
  if (opts.clean) {
    if (orphanBlobs.length) {
      problems.push(`${orphanBlobs.length} orphan blob files after the sweep: ${orphanBlobs}`);
    }
    if (tmpFiles.length) problems.push(`tmp/ is not empty: ${tmpFiles}`);
    if (garbage.size) {
      problems.push(`${garbage.size} part cleanups still owed: ${[...garbage.keys()]}`);
    }
    // A bucket's folder entries are removed with it (all are counted 0 by then).
    const leftover = [...folderIndex.keys()].filter((id) => !buckets.has(JSON.parse(id)[0]));
    if (leftover.length) {
      problems.push(`folder index entries of deleted buckets: ${leftover.slice(0, 5)}`);
    }
  }
  return {
    buckets: buckets.size,
    objects: objects.length,
    bytes: objects.reduce((n, o) => n + o.rec.size, 0),
    blobFiles: files.size,
    orphanBlobs,
    tmpFiles,
    uploads: uploads.size,
    garbageRecords: garbage.size,
    problems,
  };
}

/** Throws with every problem listed (and `context`, e.g. the seed) when there is any. */
export function assertConsistent(report: DataDirReport, context = ""): void {
  if (report.problems.length === 0) return;
  throw new Error(
    `data directory inconsistent${context ? ` (${context})` : ""}:\n  ` +
      report.problems.slice(0, 50).join("\n  ") +
      (report.problems.length > 50 ? `\n  … and ${report.problems.length - 50} more` : ""),
  );
}

/**
 * The folder index must be exactly what the objects imply: a file entry (folder, rest of the
 * key) holding the listing entry for each object whose folder is less than FOLDER_DEPTH deep,
 * and for each of a key's first FOLDER_DEPTH "/"-ended prefixes a count of the objects
 * under it. Folders counted 0 may linger (listings skip and remove them).
 */
function folderIndexProblems(
  objects: { bucket: string; key: string; rec: ObjectRecord }[],
  index: Map<string, unknown>,
): string[] {
  const problems: string[] = [];
  const files = new Map<string, ObjectRecord>();
  const counts = new Map<string, number>();
  for (const { bucket, key, rec } of objects) {
    const slashes = [...key.matchAll(/\//g)].map((m) => m.index!);
    const folderEnd = slashes.length ? slashes.at(-1)! + 1 : 0;
    if (slashes.length < FOLDER_DEPTH) {
      files.set(JSON.stringify([bucket, key.slice(0, folderEnd), key.slice(folderEnd)]), rec);
    }
    let parentEnd = 0;
    for (const i of slashes.slice(0, FOLDER_DEPTH)) {
      const id = JSON.stringify([bucket, key.slice(0, parentEnd), key.slice(parentEnd, i + 1)]);
      counts.set(id, (counts.get(id) ?? 0) + 1);
      parentEnd = i + 1;
    }
  }
  for (const [id, value] of index) {
    const name = (JSON.parse(id) as string[])[2];
    if (name.endsWith("/")) {
      const n = value instanceof Deno.KvU64 ? Number(value.value) : NaN;
      if (n !== (counts.get(id) ?? 0)) {
        problems.push(
          `folder entry ${id} counts ${n}, the objects under it are ${counts.get(id) ?? 0}`,
        );
      }
      counts.delete(id);
      continue;
    }
    const rec = files.get(id);
    files.delete(id);
    if (!rec) problems.push(`folder index file entry ${id} has no object`);
    else if (
      !isDeepStrictEqual(decodeListEntry(value as StoredListEntry), listEntryOfRecord(rec))
    ) {
      problems.push(`folder index file entry ${id} does not match its object`);
    }
  }
  for (const id of files.keys()) problems.push(`object ${id} is missing from the folder index`);
  for (const [id, n] of counts) problems.push(`folder ${id} (${n} objects) has no entry`);
  return problems;
}

function inRuns(runs: [number, number][], n: number): boolean {
  return runs.some(([a, b]) => n >= a && n <= b);
}

/**
 * Every KV entry, read from a copy of meta.kv and its WAL: opening the original would
 * replay and checkpoint the WAL before the server's own recovery gets to.
 */
async function readKvCopy(dataDir: string): Promise<Deno.KvEntry<unknown>[]> {
  const dir = await Deno.makeTempDir({ prefix: "vstash-kvcopy-" });
  try {
    for (const suffix of ["", "-wal"]) {
      await Deno.copyFile(join(dataDir, "meta.kv" + suffix), join(dir, "meta.kv" + suffix))
        .catch((err) => {
          if (!(err instanceof Deno.errors.NotFound) || suffix === "") throw err;
        });
    }
    const kv = await Deno.openKv(join(dir, "meta.kv"));
    try {
      const out: Deno.KvEntry<unknown>[] = [];
      for await (const e of kv.list({ prefix: [] })) out.push(e);
      return out;
    } finally {
      kv.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Blob files by id with their sizes; misplaced or oddly named files are problems. */
async function blobFiles(dataDir: string, problems: string[]): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  const root = join(dataDir, "blobs");
  for (const a of await listNames(root)) {
    for (const b of await listNames(join(root, a))) {
      for (const name of await listNames(join(root, a, b))) {
        const path = join(root, a, b, name);
        if (!BLOB_ID.test(name) || name.slice(0, 2) !== a || name.slice(2, 4) !== b) {
          problems.push(`unexpected file blobs/${a}/${b}/${name}`);
          continue;
        }
        out.set(name, (await Deno.stat(path)).size);
      }
    }
  }
  return out;
}

async function listNames(dir: string): Promise<string[]> {
  const names: string[] = [];
  try {
    for await (const e of Deno.readDir(dir)) names.push(e.name);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  return names;
}
