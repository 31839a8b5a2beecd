import { crc32, inflateRawSync } from "node:zlib";
import { InvalidArtifactError } from "./errors.js";

/**
 * A deliberately small, strict zip reader for workflow artifacts. It trusts nothing in the archive:
 * names are checked before anything is inflated, declared sizes are checked against the limits before
 * inflating, and actual sizes while inflating (zlib's `maxOutputLength` aborts a zip bomb mid-stream),
 * then against the declared size and CRC. Inflation is node's own zlib, so no dependency is needed.
 */

export interface ZipLimits {
  /** Size of the zip itself. */
  maxZipBytes: number;
  maxEntries: number;
  maxEntryBytes: number;
  /** Sum of all uncompressed entries. */
  maxTotalBytes: number;
}

export const DEFAULT_ZIP_LIMITS: ZipLimits = {
  maxZipBytes: 128 * 1024 * 1024,
  maxEntries: 2_000,
  maxEntryBytes: 64 * 1024 * 1024,
  maxTotalBytes: 256 * 1024 * 1024,
};

export interface ZipEntry {
  name: string;
  data: Buffer;
}

const EOCD_SIGNATURE = 0x06054b50;
const CENTRAL_SIGNATURE = 0x02014b50;
const LOCAL_SIGNATURE = 0x04034b50;
const S_IFMT = 0o170000;
const S_IFLNK = 0o120000;

function fail(message: string): never {
  throw new InvalidArtifactError(message, {
    hint: "the artifact is damaged or was not written by pikaci; re-run the workflow to upload it again",
  });
}

function findEndOfCentralDirectory(zip: Buffer): number {
  const earliest = Math.max(0, zip.length - 22 - 0xffff);
  for (let at = zip.length - 22; at >= earliest; at--) {
    if (zip.readUInt32LE(at) === EOCD_SIGNATURE) return at;
  }
  return fail("not a zip archive (no end-of-central-directory record)");
}

/** Names become paths under the state root: only plain relative names of safe segments pass. */
export function checkEntryName(name: string): void {
  const shown = JSON.stringify(name);
  if (name.length === 0 || name.length > 512) fail(`zip entry name ${shown} is empty or too long`);
  if (name.includes("\0")) fail(`zip entry ${shown} contains a NUL byte`);
  if (name.includes("\\")) fail(`zip entry ${shown} contains a backslash`);
  if (name.startsWith("/") || /^[A-Za-z]:/.test(name)) fail(`zip entry ${shown} is an absolute path`);
  const segments = name.replace(/\/$/, "").split("/");
  if (segments.some((segment) => segment === ".." || segment === "." || segment === "")) {
    fail(`zip entry ${shown} has a '..', '.' or empty path segment`);
  }
  if (/[\u0000-\u001f\u007f]/.test(name)) fail(`zip entry ${shown} contains a control character`);
}

function inflate(data: Buffer, method: number, limit: number, name: string): Buffer {
  if (method === 0) return data;
  if (method !== 8) fail(`zip entry ${JSON.stringify(name)} uses unsupported compression method ${method}`);
  try {
    return inflateRawSync(data, { maxOutputLength: Math.max(1, limit) });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ERR_BUFFER_TOO_LARGE" || error instanceof RangeError) {
      fail(`zip entry ${JSON.stringify(name)} inflates beyond the size limit`);
    }
    return fail(`zip entry ${JSON.stringify(name)} is corrupt: ${(error as Error).message}`);
  }
}

export function readZip(zip: Buffer, limits: ZipLimits = DEFAULT_ZIP_LIMITS): ZipEntry[] {
  const { eocd, count, cdOffset } = readEndOfCentralDirectory(zip, limits);
  const entries: ZipEntry[] = [];
  const seen = new Set<string>();
  let total = 0;
  let at = cdOffset;
  for (let index = 0; index < count; index++) {
    if (at + 46 > eocd || zip.readUInt32LE(at) !== CENTRAL_SIGNATURE)
      fail("zip central directory is corrupt");
    const header = readCentralHeader(zip, at);
    at = header.next;
    const { name, size } = header;
    checkEntryName(name);
    if (seen.has(name)) fail(`zip entry ${JSON.stringify(name)} appears twice`);
    seen.add(name);
    checkEntryKind(header);
    if (name.endsWith("/")) continue;
    if (size > limits.maxEntryBytes)
      fail(`zip entry ${JSON.stringify(name)} is ${size} bytes; the limit is ${limits.maxEntryBytes}`);
    if (total + size > limits.maxTotalBytes)
      fail(`artifact unpacks to more than ${limits.maxTotalBytes} bytes`);
    // One byte over the declared size is enough to catch an entry that lies about its size.
    const limit = Math.min(limits.maxEntryBytes, limits.maxTotalBytes - total, size + 1);
    const data = readEntryData(zip, header, cdOffset, limit);
    total += data.length;
    entries.push({ name, data });
  }
  return entries;
}

function readEndOfCentralDirectory(
  zip: Buffer,
  limits: ZipLimits,
): { eocd: number; count: number; cdOffset: number } {
  if (zip.length > limits.maxZipBytes)
    fail(`artifact is ${zip.length} bytes; the limit is ${limits.maxZipBytes}`);
  if (zip.length < 22) fail("not a zip archive (too short)");
  const eocd = findEndOfCentralDirectory(zip);
  const count = zip.readUInt16LE(eocd + 10);
  const cdSize = zip.readUInt32LE(eocd + 12);
  const cdOffset = zip.readUInt32LE(eocd + 16);
  if (count === 0xffff || cdOffset === 0xffffffff)
    fail("zip64 archives are not accepted (too large for an artifact)");
  if (count > limits.maxEntries) fail(`artifact has ${count} entries; the limit is ${limits.maxEntries}`);
  if (cdOffset + cdSize > eocd) fail("zip central directory lies outside the archive");
  return { eocd, count, cdOffset };
}

/** One central directory record, as declared (nothing in it is trusted yet). */
interface CentralHeader {
  name: string;
  madeBy: number;
  flags: number;
  method: number;
  crc: number;
  compressedSize: number;
  size: number;
  externalAttributes: number;
  localOffset: number;
  /** Where the next central record starts. */
  next: number;
}

function readCentralHeader(zip: Buffer, at: number): CentralHeader {
  const flags = zip.readUInt16LE(at + 8);
  const nameLength = zip.readUInt16LE(at + 28);
  return {
    name: zip.toString(flags & 0x800 ? "utf8" : "latin1", at + 46, at + 46 + nameLength),
    madeBy: zip.readUInt16LE(at + 4) >> 8,
    flags,
    method: zip.readUInt16LE(at + 10),
    crc: zip.readUInt32LE(at + 16),
    compressedSize: zip.readUInt32LE(at + 20),
    size: zip.readUInt32LE(at + 24),
    externalAttributes: zip.readUInt32LE(at + 38),
    localOffset: zip.readUInt32LE(at + 42),
    next: at + 46 + nameLength + zip.readUInt16LE(at + 30) + zip.readUInt16LE(at + 32),
  };
}

function checkEntryKind({ name, madeBy, externalAttributes, flags }: CentralHeader): void {
  // Unix "made by" (3) keeps the file mode in the high 16 bits of the external attributes.
  if (madeBy === 3 && ((externalAttributes >>> 16) & S_IFMT) === S_IFLNK) {
    fail(`zip entry ${JSON.stringify(name)} is a symbolic link`);
  }
  if (flags & 0x1) fail(`zip entry ${JSON.stringify(name)} is encrypted`);
}

/** Inflates one entry, at most `limit` bytes, and checks it against its declared size and CRC. */
function readEntryData(zip: Buffer, header: CentralHeader, cdOffset: number, limit: number): Buffer {
  const { name, localOffset, compressedSize, size } = header;
  if (localOffset + 30 > cdOffset || zip.readUInt32LE(localOffset) !== LOCAL_SIGNATURE) {
    fail(`zip entry ${JSON.stringify(name)} has no valid local header`);
  }
  const dataStart =
    localOffset + 30 + zip.readUInt16LE(localOffset + 26) + zip.readUInt16LE(localOffset + 28);
  if (dataStart + compressedSize > cdOffset)
    fail(`zip entry ${JSON.stringify(name)} runs past the archive's data`);
  const data = inflate(zip.subarray(dataStart, dataStart + compressedSize), header.method, limit, name);
  if (data.length !== size)
    fail(`zip entry ${JSON.stringify(name)} is ${data.length} bytes, not the declared ${size}`);
  if (crc32(data) !== header.crc) fail(`zip entry ${JSON.stringify(name)} fails its CRC check`);
  return data;
}
