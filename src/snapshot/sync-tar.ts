import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { open } from "node:fs/promises";
import { join } from "node:path";
import { asSnapshotChange, SnapshotChangedError } from "../errors/index.js";
import type { FileEntry, SnapshotEntry } from "./entries.js";
import { objectName } from "./entries.js";
import { TAR_END, tarHeader, tarPadding } from "./tar-writer.js";

const READ_ONLY = 0o444;
const READ_ONLY_EXEC = 0o555;
const DIR_MODE = 0o755;
/** Larger objects are streamed in chunks of this size; smaller ones read whole. */
const CHUNK = 1 << 20;
/** Yield to the transport in batches of about this many bytes. */
const BATCH = 1 << 20;

export function objectPath(entry: Pick<FileEntry, "digest" | "exec">): string {
  return `objects/${entry.digest.slice(0, 2)}/${objectName(entry)}`;
}

function fileMode(entry: Pick<FileEntry, "exec">): number {
  return entry.exec ? READ_ONLY_EXEC : READ_ONLY;
}

/**
 * The assembly archive: directories, symlinks, and hard links to `objects/…` (empty files are
 * plain entries: they have no object, and one empty-file inode shared by thousands of paths would
 * hit the filesystem's link limit). Extracted with `tar -x -C <work dir>`, where the links resolve.
 */
export function buildTreeTar(params: {
  treePath: string;
  added: readonly SnapshotEntry[];
  includeRoot: boolean;
  /** Objects sent in this upload and where they were unpacked (`tmp/<id>`): link to those copies. */
  uploaded: { names: ReadonlySet<string>; dir: string };
}): Buffer {
  const mtime = Date.now();
  const blocks: Buffer[] = [];
  if (params.includeRoot) {
    blocks.push(tarHeader({ name: `${params.treePath}/`, type: "directory", mode: DIR_MODE, mtime }));
  }
  for (const entry of params.added) {
    const name = `${params.treePath}/${entry.path}`;
    if (entry.type === "dir") {
      blocks.push(tarHeader({ name: `${name}/`, type: "directory", mode: DIR_MODE, mtime }));
    } else if (entry.type === "symlink") {
      blocks.push(tarHeader({ name, type: "symlink", linkname: entry.target, mode: 0o777, mtime }));
    } else if (entry.size === 0) {
      blocks.push(tarHeader({ name, type: "file", size: 0, mode: fileMode(entry), mtime }));
    } else {
      const name0 = objectName(entry);
      const linkname = params.uploaded.names.has(name0)
        ? `${params.uploaded.dir}/o/${entry.digest.slice(0, 2)}/${name0}`
        : objectPath(entry);
      blocks.push(tarHeader({ name, type: "link", linkname, mode: fileMode(entry), mtime }));
    }
  }
  blocks.push(TAR_END);
  return Buffer.concat(blocks);
}

/**
 * The upload archive, produced lazily so nothing is staged on local disk: `o/<xx>/<object>` for
 * each missing object, then the small `files` (removals, manifest delta, tree.tar, meta.json).
 * Every object is re-hashed as it is read: a file edited after hashing must not be stored under
 * the old digest.
 */
export async function* uploadArchive(params: {
  root: string;
  /** The snapshot's hash, named when a file no longer matches it. */
  hash: string;
  objects: readonly FileEntry[];
  files: readonly (readonly [name: string, data: Buffer])[];
  onObject?: () => void;
}): AsyncGenerator<Buffer> {
  const mtime = Date.now();
  let batch: Buffer[] = [];
  let batched = 0;
  const push = (buffer: Buffer) => {
    batch.push(buffer);
    batched += buffer.length;
  };
  const flush = () => {
    const out = Buffer.concat(batch);
    batch = [];
    batched = 0;
    return out;
  };
  for (const entry of params.objects) {
    const name = `o/${entry.digest.slice(0, 2)}/${objectName(entry)}`;
    push(tarHeader({ name, type: "file", size: entry.size, mode: fileMode(entry), mtime }));
    const path = join(params.root, entry.path);
    if (entry.size <= CHUNK) {
      const data = readObject(path, entry, params.hash);
      checkContent(entry, data.length, createHash("sha256").update(data).digest("hex"), params.hash);
      push(data);
    } else {
      if (batched > 0) yield flush();
      yield* streamFile(path, entry, params.hash);
    }
    push(tarPadding(entry.size));
    params.onObject?.();
    if (batched >= BATCH) yield flush();
  }
  for (const [name, data] of params.files) {
    push(tarHeader({ name, type: "file", size: data.length, mode: 0o644, mtime }));
    push(data);
    push(tarPadding(data.length));
  }
  push(TAR_END);
  yield flush();
}

async function* streamFile(path: string, entry: FileEntry, snapshotHash: string): AsyncGenerator<Buffer> {
  const hash = createHash("sha256");
  let size = 0;
  const handle = await open(path, "r").catch((error: unknown) => {
    throw asSnapshotChange(error, entry.path, snapshotHash);
  });
  try {
    while (size < entry.size) {
      const buffer = Buffer.allocUnsafe(Math.min(CHUNK, entry.size - size));
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) break;
      const chunk = buffer.subarray(0, bytesRead);
      hash.update(chunk);
      size += bytesRead;
      yield chunk;
    }
    // One more byte than recorded means the file grew.
    const { bytesRead } = await handle.read(Buffer.alloc(1), 0, 1, null);
    checkContent(entry, size + bytesRead, hash.digest("hex"), snapshotHash);
  } finally {
    await handle.close();
  }
}

function readObject(path: string, entry: FileEntry, snapshotHash: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw asSnapshotChange(error, entry.path, snapshotHash);
  }
}

function checkContent(entry: FileEntry, size: number, digest: string, snapshotHash: string): void {
  if (size !== entry.size || digest !== entry.digest)
    throw new SnapshotChangedError(entry.path, snapshotHash);
}
