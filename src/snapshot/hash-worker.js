// A file-hashing thread (see hash-threads.ts, which owns the protocol). Plain JavaScript so that
// Node loads it as it is from src/ under tsx or vitest, and from dist/ where the bundle puts it.
//
// In:  workerData { root }, then batches { id, paths: relative paths, sizes: their sizes when stat'ed }.
// Out: per batch { id, digests: the hex digests concatenated, sizes }, or { id, error } for the first
//      file that could not be read (the batch stops there; the caller fails the whole hash).
import { parentPort, workerData } from "node:worker_threads";
import { READ_BUFFER_BYTES, readDigest } from "./read-digest.js";

const buffer = Buffer.allocUnsafe(READ_BUFFER_BYTES);
const { root } = workerData;

parentPort.on("message", ({ id, paths, sizes: expected }) => {
  const digests = [];
  const sizes = [];
  for (let i = 0; i < paths.length; i++) {
    const path = paths[i];
    try {
      const { digest, size } = readDigest(`${root}/${path}`, buffer, expected[i]);
      digests.push(digest);
      sizes.push(size);
    } catch (error) {
      parentPort.postMessage({ id, error: { message: error.message, code: error.code, path } });
      return;
    }
  }
  parentPort.postMessage({ id, digests: digests.join(""), sizes });
});
