import { createRequire as __pikaciCreateRequire } from "node:module";
import { fileURLToPath as __pikaciFileURLToPath } from "node:url";
import { dirname as __pikaciDirname } from "node:path";
const require = __pikaciCreateRequire(import.meta.url);
const __pikaciFilename = __pikaciFileURLToPath(import.meta.url);
const __pikaciDirnameValue = __pikaciDirname(__pikaciFilename);

// src/snapshot/hash-worker.js
import { parentPort, workerData } from "node:worker_threads";

// src/snapshot/read-digest.js
import { createHash, hash as hashOnce } from "node:crypto";
import { closeSync, openSync, readSync } from "node:fs";
var READ_BUFFER_BYTES = 1 << 20;
function readDigest(path, buffer2, expectedSize) {
  const fd = openSync(path, "r");
  try {
    const want = Math.min(expectedSize + 1, buffer2.length);
    const filled = fill(fd, buffer2, want, expectedSize);
    if (filled < want) {
      return { digest: hashOnce("sha256", buffer2.subarray(0, filled), "hex"), size: filled };
    }
    const hash = createHash("sha256").update(buffer2.subarray(0, filled));
    let size = filled;
    for (; ; ) {
      const n = fill(fd, buffer2, buffer2.length, expectedSize - size);
      hash.update(n === buffer2.length ? buffer2 : buffer2.subarray(0, n));
      size += n;
      if (n < buffer2.length) return { digest: hash.digest("hex"), size };
    }
  } finally {
    closeSync(fd);
  }
}
function fill(fd, buffer2, want, endAt) {
  let filled = 0;
  while (filled < want) {
    const asked = want - filled;
    const n = readSync(fd, buffer2, filled, asked, null);
    filled += n;
    if (n === 0 || n < asked && filled === endAt) break;
  }
  return filled;
}

// src/snapshot/hash-worker.js
var buffer = Buffer.allocUnsafe(READ_BUFFER_BYTES);
var { root } = workerData;
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
