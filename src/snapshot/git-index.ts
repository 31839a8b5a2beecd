/**
 * A reader for git's index file (`.git/index`, versions 2–4; gitformat-index(5)), so a warm re-hash of
 * a git work tree can take each tracked file's stat data from the index instead of calling lstat on
 * every file (git has already checked those stats, from C, on several threads). Pure: bytes in.
 *
 * Returns null for anything it does not fully understand — a split index (`link`), a sparse index
 * (`sdir`), an unknown version, a layout that does not end exactly at the trailing checksum — and
 * the caller then falls back to stat'ing every file itself.
 */
export interface GitIndexEntry {
  /** Relative to the work tree's top, `/`-separated, as git stores it. */
  path: string;
  /** Git's normalised mode: 0o100644, 0o100755, 0o120000 (symlink) or 0o160000 (gitlink). */
  mode: number;
  /** 0 for a normal entry; 1–3 for the sides of an unresolved merge conflict. */
  stage: number;
  /** assume-unchanged, skip-worktree or intent-to-add: git does not compare these with the work tree. */
  untrusted: boolean;
  /** Stat data as git recorded it, in Node's units (`mtimeMs = sec * 1000 + nsec / 1e6`). */
  size: number;
  mtimeMs: number;
  ctimeMs: number;
  ino: number;
  dev: number;
}

const SIGNATURE = 0x44495243; // "DIRC"
const FLAG_ASSUME_VALID = 0x8000;
const FLAG_EXTENDED = 0x4000;
const NAME_MASK = 0x0fff;
const EXT_SKIP_WORKTREE = 0x4000;
const EXT_INTENT_TO_ADD = 0x2000;
/** Extensions whose presence means the entries here are not the whole index, or not all files. */
const UNSUPPORTED_EXTENSIONS = new Set(["link", "sdir"]);

export interface GitIndex {
  entries: GitIndexEntry[];
  /** Lowercase hex of the trailing checksum; all zeros when git wrote none (`index.skipHash`). */
  checksum: string;
}

/** The last `hexLength / 2` bytes of an index file, as `GitIndex.checksum` gives them. */
export function indexChecksum(buf: Buffer, hexLength: number): string {
  return buf.toString("hex", buf.length - hexLength / 2);
}

export function parseGitIndex(buf: Buffer): GitIndex | null {
  if (buf.length < 12 || buf.readUInt32BE(0) !== SIGNATURE) return null;
  const version = buf.readUInt32BE(4);
  if (version < 2 || version > 4) return null;
  // The object format (SHA-1 or SHA-256) is not recorded in the index itself: only one of the two
  // lengths lays the entries out so that the extensions end exactly at the trailing checksum.
  for (const hashLength of [20, 32]) {
    const entries = parseEntries(buf, version, hashLength);
    if (entries !== null) return { entries, checksum: indexChecksum(buf, hashLength * 2) };
  }
  return null;
}

function parseEntries(buf: Buffer, version: number, hashLength: number): GitIndexEntry[] | null {
  const count = buf.readUInt32BE(8);
  const fixed = 40 + hashLength + 2; // ten u32 stat/mode fields, the object id, the flags
  const entries: GitIndexEntry[] = new Array(count);
  let offset = 12;
  let previous: Buffer = Buffer.alloc(0); // v4 only: the previous path's bytes
  for (let i = 0; i < count; i++) {
    const start = offset;
    if (offset + fixed > buf.length) return null;
    const flags = buf.readUInt16BE(offset + 40 + hashLength);
    offset += fixed;
    let extended = 0;
    if (flags & FLAG_EXTENDED) {
      if (version < 3 || offset + 2 > buf.length) return null;
      extended = buf.readUInt16BE(offset);
      offset += 2;
    }
    let path: string;
    if (version === 4) {
      // Prefix compression: drop `strip` bytes from the previous path, then a NUL-terminated suffix.
      const varint = readVarint(buf, offset);
      if (varint === null || varint.value > previous.length) return null;
      offset = varint.next;
      const end = buf.indexOf(0, offset);
      if (end < 0) return null;
      previous = Buffer.concat([
        previous.subarray(0, previous.length - varint.value),
        buf.subarray(offset, end),
      ]);
      path = previous.toString("utf8");
      offset = end + 1;
    } else {
      const length = flags & NAME_MASK;
      const end = length < NAME_MASK ? offset + length : buf.indexOf(0, offset);
      if (end < 0 || end >= buf.length || buf[end] !== 0) return null;
      path = buf.toString("utf8", offset, end); // straight from the buffer: no view object per entry
      // 1–8 NULs pad the entry to a multiple of 8 bytes.
      offset = start + Math.ceil((end - start + 1) / 8) * 8;
    }
    const entry = entryAt(buf, start, path, flags, extended);
    if (entry === null) return null;
    entries[i] = entry;
  }
  return extensionsEndAtChecksum(buf, offset, hashLength) ? entries : null;
}

/** The stat data and flags of the entry at `start`; null for a sparse-directory entry. */
function entryAt(
  buf: Buffer,
  start: number,
  path: string,
  flags: number,
  extended: number,
): GitIndexEntry | null {
  const mode = buf.readUInt32BE(start + 24);
  if ((mode & 0o170000) === 0o040000) return null;
  return {
    path,
    mode,
    stage: (flags >> 12) & 3,
    untrusted:
      (flags & FLAG_ASSUME_VALID) !== 0 || (extended & (EXT_SKIP_WORKTREE | EXT_INTENT_TO_ADD)) !== 0,
    ctimeMs: buf.readUInt32BE(start) * 1000 + buf.readUInt32BE(start + 4) / 1e6,
    mtimeMs: buf.readUInt32BE(start + 8) * 1000 + buf.readUInt32BE(start + 12) / 1e6,
    dev: buf.readUInt32BE(start + 16),
    ino: buf.readUInt32BE(start + 20),
    size: buf.readUInt32BE(start + 36),
  };
}

/** Extensions: 4-byte signature, u32 length, data; then the checksum of everything before it. */
function extensionsEndAtChecksum(buf: Buffer, offset: number, hashLength: number): boolean {
  const checksumAt = buf.length - hashLength;
  let at = offset;
  while (at + 8 <= checksumAt) {
    const signature = buf.toString("latin1", at, at + 4);
    if (UNSUPPORTED_EXTENSIONS.has(signature)) return false;
    at += 8 + buf.readUInt32BE(at + 4);
  }
  return at === checksumAt;
}

/** Git's "offset" varint (varint.c): big-endian 7-bit groups, each continuation adding one. */
function readVarint(buf: Buffer, offset: number): { value: number; next: number } | null {
  if (offset >= buf.length) return null;
  let byte = buf[offset++]!;
  let value = byte & 0x7f;
  while (byte & 0x80) {
    if (offset >= buf.length || value > 2 ** 40) return null;
    byte = buf[offset++]!;
    value = (value + 1) * 128 + (byte & 0x7f);
  }
  return { value, next: offset };
}
