import { join } from "node:path";
import { randomHex } from "../hex.ts";

/**
 * New blobs go to a few shard directories at a time, each filled with this many blobs from
 * this process before a fresh random shard replaces it. Spreading every blob over all 65,536
 * shards from the start made most small PUTs on a new store create (and fsync) a directory;
 * writing into few directories at once also lets concurrent PUTs share a directory fsync.
 */
const ACTIVE_SHARDS = 16;
/** Memory for copies of recently read small blobs (see BlobStore.read). */
const SMALL_BLOB_CACHE_BYTES = 32 * 1024 * 1024;
const BLOBS_PER_SHARD = 4096;

const BLOB_ID = /^[0-9a-f]{32}$/;

/**
 * Object bytes as files `blobs/xx/yy/<id>` under the data directory.
 *
 * Durability: a blob is written to `tmp/`, fsynced, renamed into its shard directory and the
 * directory fsynced before the caller commits metadata that points at it. A crash before the
 * metadata commit leaves an unreferenced file that the sweeper removes; it can never leave
 * metadata pointing at a missing or partial file.
 */
export class BlobStore {
  readonly root: string;
  readonly #tmpDir: string;
  readonly #blobDir: string;
  readonly #knownDirs = new Set<string>();
  readonly #shards: { prefix: string; used: number }[] = [];
  readonly #dirSync = new DirSyncer();
  readonly #smallBlobs = new ByteCache(SMALL_BLOB_CACHE_BYTES);
  /**
   * Blobs this process created whose metadata is not committed yet. The sweeper never
   * touches them: no clock or grace period decides whether an upload is still in flight.
   */
  readonly #pending = new Set<string>();

  constructor(dataDir: string) {
    this.root = dataDir;
    this.#tmpDir = join(dataDir, "tmp");
    this.#blobDir = join(dataDir, "blobs");
  }

  /** Creates the directories and clears temp files left by a crash (nothing references them). */
  async init(): Promise<void> {
    await Deno.mkdir(this.#blobDir, { recursive: true, mode: 0o700 });
    await Deno.remove(this.#tmpDir, { recursive: true }).catch(ignoreNotFound);
    await Deno.mkdir(this.#tmpDir, { recursive: true, mode: 0o700 });
  }

  /** Path of a blob relative to the data directory, as shown by the management API. */
  relativePath(blobId: string): string {
    return `blobs/${blobId.slice(0, 2)}/${blobId.slice(2, 4)}/${blobId}`;
  }

  path(blobId: string): string {
    if (!BLOB_ID.test(blobId)) throw new Error(`not a blob id: ${blobId}`);
    return join(this.#blobDir, blobId.slice(0, 2), blobId.slice(2, 4), blobId);
  }

  /** Closes the directory handles kept for fsync. */
  close(): void {
    this.#dirSync.close();
  }

  /** A fresh random id in one of the active shards (see ACTIVE_SHARDS). */
  #newId(): string {
    if (this.#shards.length < ACTIVE_SHARDS) {
      this.#shards.push({ prefix: randomHex(2), used: 0 });
    }
    const i = Math.floor(Math.random() * this.#shards.length);
    const shard = this.#shards[i];
    if (++shard.used >= BLOBS_PER_SHARD) this.#shards.splice(i, 1);
    return shard.prefix + randomHex(14);
  }

  /** Starts a new blob in the temp directory. */
  async create(): Promise<BlobWriter> {
    const id = this.#newId();
    const tmpPath = join(this.#tmpDir, `${id}.tmp`);
    const file = await Deno.open(tmpPath, { write: true, createNew: true, mode: 0o600 });
    this.#pending.add(id);
    return new BlobWriter(this, id, tmpPath, file);
  }

  /**
   * A small blob's bytes, from memory when recently read. Blobs never change once written,
   * so a cached copy is never stale; reading a file costs far more CPU than the request's
   * own work for a 4 KiB object. Throws Deno.errors.NotFound when the blob is gone.
   */
  async read(blobId: string): Promise<Uint8Array<ArrayBuffer>> {
    const cached = this.#smallBlobs.get(blobId);
    if (cached) return cached;
    const bytes = await Deno.readFile(this.path(blobId));
    this.#smallBlobs.add(blobId, bytes);
    return bytes;
  }

  /** Opens a blob for reading; throws Deno.errors.NotFound when it is gone. */
  open(blobId: string): Promise<Deno.FsFile> {
    return Deno.open(this.path(blobId), { read: true });
  }

  /** Removes a blob file; a missing file is fine (a previous attempt or the sweeper got it). */
  async remove(blobId: string): Promise<void> {
    this.#smallBlobs.delete(blobId);
    await Deno.remove(this.path(blobId)).catch(ignoreNotFound);
    this.#pending.delete(blobId);
  }

  /** Called once the metadata pointing at a new blob is committed: it is now the KV's. */
  settle(blobId: string): void {
    this.#pending.delete(blobId);
  }

  /** Whether a blob is still being written or committed by this process. */
  isPending(blobId: string): boolean {
    return this.#pending.has(blobId);
  }

  /** Moves a finished temp file into its shard and makes the new name durable. */
  async place(id: string, tmpPath: string): Promise<void> {
    const dir = join(this.#blobDir, id.slice(0, 2), id.slice(2, 4));
    await this.#ensureDir(dir);
    await Deno.rename(tmpPath, join(dir, id));
    await this.#dirSync.sync(dir);
  }

  /** Every blob file. For the sweeper. */
  async *list(): AsyncGenerator<{ id: string }> {
    for await (const a of readDirSafe(this.#blobDir)) {
      for await (const b of readDirSafe(join(this.#blobDir, a))) {
        const dir = join(this.#blobDir, a, b);
        for await (const name of readDirSafe(dir)) {
          if (BLOB_ID.test(name)) yield { id: name };
        }
      }
    }
  }

  async #ensureDir(dir: string): Promise<void> {
    if (this.#knownDirs.has(dir)) return;
    // An existing shard was made durable by whoever created it.
    if (!(await Deno.stat(dir).then(() => true, () => false))) {
      const parent = join(dir, "..");
      const parentExisted = await Deno.stat(parent).then(() => true, () => false);
      await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
      // A new directory entry is only durable once its parent is fsynced.
      if (!parentExisted) await this.#dirSync.sync(this.#blobDir);
      await this.#dirSync.sync(parent);
    }
    this.#knownDirs.add(dir);
  }
}

/** A blob being written. Call `commit()` once every byte is verified, or `abort()`. */
export class BlobWriter {
  readonly id: string;
  size = 0;
  readonly #store: BlobStore;
  readonly #tmpPath: string;
  #file: Deno.FsFile | null;

  constructor(store: BlobStore, id: string, tmpPath: string, file: Deno.FsFile) {
    this.#store = store;
    this.id = id;
    this.#tmpPath = tmpPath;
    this.#file = file;
  }

  /** Writes every byte of the chunk (a single write call may be partial). */
  async write(chunk: Uint8Array): Promise<void> {
    const file = this.#file;
    if (!file) throw new Error("blob writer is closed");
    let off = 0;
    while (off < chunk.length) {
      off += await file.write(off === 0 ? chunk : chunk.subarray(off));
    }
    this.size += chunk.length;
  }

  /** Makes the blob durable under its final name and returns its id. */
  async commit(): Promise<string> {
    const file = this.#file;
    if (!file) throw new Error("blob writer is closed");
    this.#file = null;
    try {
      await file.sync();
    } finally {
      file.close();
    }
    try {
      await this.#store.place(this.id, this.#tmpPath);
    } catch (err) {
      await Deno.remove(this.#tmpPath).catch(() => {});
      throw err;
    }
    return this.id;
  }

  /** Drops the temp file; safe to call more than once and after a failed commit. */
  async abort(): Promise<void> {
    const file = this.#file;
    this.#file = null;
    if (file) {
      try {
        file.close();
      } catch { /* already closed */ }
    }
    await Deno.remove(this.#tmpPath).catch(() => {});
    this.#store.settle(this.id);
  }
}

/**
 * fsyncs directories, sharing work between concurrent callers: a caller waits for an fsync
 * that starts after its call (one already running may have started before its rename), and
 * every caller that arrives while that next fsync is still queued shares it. Handles of
 * recently synced directories stay open (closed after a couple of idle seconds), so a sync
 * under load is one call instead of open, fsync, close.
 */
class DirSyncer {
  readonly #state = new Map<string, DirState>();
  #idleTimer: number | null = null;
  static readonly MAX_OPEN = 32;
  static readonly IDLE_MS = 2000;

  sync(dir: string): Promise<void> {
    if (Deno.build.os === "windows") return Promise.resolve(); // no directory fsync there
    let s = this.#state.get(dir);
    if (!s) {
      if (this.#state.size >= DirSyncer.MAX_OPEN) this.#closeIdle(Infinity, DirSyncer.MAX_OPEN - 1);
      s = { handle: null, running: null, next: null, lastUsed: 0 };
      this.#state.set(dir, s);
      this.#idleTimer ??= startIdleTimer(() => this.#closeIdle());
    }
    const state = s;
    state.lastUsed = Date.now();
    if (state.next) return state.next;
    if (!state.running) return this.#start(dir, state);
    state.next = state.running.catch(() => {}).then(() => {
      state.next = null;
      return this.#start(dir, state);
    });
    return state.next;
  }

  #start(dir: string, state: DirState): Promise<void> {
    const run = (async () => {
      try {
        state.handle ??= await Deno.open(dir, { read: true });
        await state.handle.sync();
      } catch (err) {
        state.handle?.close();
        state.handle = null;
        throw err;
      }
    })();
    state.running = run.finally(() => {
      if (state.running === tracked) state.running = null;
    });
    const tracked = state.running;
    return tracked;
  }

  /**
   * Closes handles no fsync is using or waiting for, last used before `cutoff`, oldest
   * first, until at most `keep` remain. The idle timer stops when none is left.
   */
  #closeIdle(cutoff = Date.now() - DirSyncer.IDLE_MS, keep = 0): void {
    for (const [dir, s] of this.#state) {
      if (this.#state.size <= keep) break;
      if (s.running || s.next || s.lastUsed > cutoff) continue;
      s.handle?.close();
      this.#state.delete(dir);
    }
    if (this.#state.size === 0 && this.#idleTimer !== null) {
      clearInterval(this.#idleTimer);
      this.#idleTimer = null;
    }
  }

  close(): void {
    for (const s of this.#state.values()) s.handle?.close();
    this.#state.clear();
    if (this.#idleTimer !== null) clearInterval(this.#idleTimer);
    this.#idleTimer = null;
  }
}

/** Byte arrays by id, up to a total size; the oldest go first. */
class ByteCache {
  readonly #entries = new Map<string, Uint8Array<ArrayBuffer>>();
  readonly #limit: number;
  #bytes = 0;

  constructor(limit: number) {
    this.#limit = limit;
  }

  get(id: string): Uint8Array<ArrayBuffer> | undefined {
    return this.#entries.get(id);
  }

  add(id: string, bytes: Uint8Array<ArrayBuffer>): void {
    if (bytes.length > this.#limit / 64 || this.#entries.has(id)) return;
    this.#entries.set(id, bytes);
    this.#bytes += bytes.length;
    for (const [old, b] of this.#entries) {
      if (this.#bytes <= this.#limit) break;
      this.#entries.delete(old);
      this.#bytes -= b.length;
    }
  }

  delete(id: string): void {
    const b = this.#entries.get(id);
    if (b) this.#bytes -= b.length;
    this.#entries.delete(id);
  }
}

interface DirState {
  handle: Deno.FsFile | null;
  running: Promise<void> | null;
  next: Promise<void> | null;
  lastUsed: number;
}

/** An interval that does not keep the process alive by itself. */
function startIdleTimer(fn: () => void): number {
  const id = setInterval(fn, DirSyncer.IDLE_MS / 2) as unknown as number;
  Deno.unrefTimer(id);
  return id;
}

async function* readDirSafe(dir: string): AsyncGenerator<string> {
  try {
    for await (const entry of Deno.readDir(dir)) yield entry.name;
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
}

function ignoreNotFound(err: unknown): void {
  if (!(err instanceof Deno.errors.NotFound)) throw err;
}
