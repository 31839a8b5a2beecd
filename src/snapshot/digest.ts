import { FileHasher } from "./file-hasher.js";

export interface FileDigest {
  digest: string;
  /** Bytes actually hashed: the size recorded in the snapshot always matches the digest. */
  size: number;
}

/** A file to hash: its path relative to the root, and its size when stat'ed (to share the work out). */
export interface FileToHash {
  path: string;
  size: number;
}

/** Called once per file with its index; a throw fails the whole hash. */
export type OnDigest = (index: number, digest: FileDigest) => void;

/**
 * Hashes every file of `files` under `root` (see FileHasher: worker threads for a large set, the
 * main thread in short slices for a small one); `onDigest` gets each file's index in `files`.
 */
export async function hashFiles(p: {
  root: string;
  files: readonly FileToHash[];
  onDigest: OnDigest;
  signal?: AbortSignal;
  threads?: number;
}): Promise<void> {
  const hasher = new FileHasher(p);
  try {
    for (const file of p.files) hasher.add(file);
  } catch (error) {
    await hasher.close();
    throw error;
  }
  await hasher.finish();
}
