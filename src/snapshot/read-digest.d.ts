// Types of read-digest.js (plain JavaScript so that a worker thread can load it from src/ as is).
export declare const READ_BUFFER_BYTES: number;
export declare function readDigest(
  path: string,
  buffer: Buffer,
  expectedSize: number,
): { digest: string; size: number };
