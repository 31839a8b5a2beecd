import { z } from "zod";

const UNIT_BYTES: Record<string, number> = {
  "": 1,
  b: 1,
  k: 1024,
  kb: 1000,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1000 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1000 ** 3,
  gib: 1024 ** 3,
};
const SIZE_PATTERN = /^(\d+)\s*([kmg]?i?b?)$/i;

/** The smallest log cap: room for a useful head, a tail and the truncation marker. */
export const MIN_LOG_LIMIT_BYTES = 4096;
/** Each lane's stored log keeps at most this much (head and tail) unless the config says otherwise. */
export const DEFAULT_LOG_LIMIT_BYTES = 100 * 1024 * 1024;

/** Parse `1048576`, `"512KiB"`, `"100MiB"`, `"1GB"` into bytes; undefined when malformed. */
export function parseByteSize(value: number | string): number | undefined {
  if (typeof value === "number") return Number.isSafeInteger(value) && value > 0 ? value : undefined;
  const match = SIZE_PATTERN.exec(value.trim());
  const unit = UNIT_BYTES[(match?.[2] ?? "").toLowerCase()];
  if (!match || unit === undefined) return undefined;
  const bytes = Number(match[1]) * unit;
  return Number.isSafeInteger(bytes) && bytes > 0 ? bytes : undefined;
}

/** A size in the config: bytes, or a number with a unit (KiB, MiB, GiB; KB, MB, GB are powers of 1000). */
export const ByteSize = z
  .union([z.number().int().positive(), z.string().regex(SIZE_PATTERN)])
  .refine((value) => parseByteSize(value) !== undefined, {
    message: "expected bytes (e.g. 1048576) or a size such as 512KiB, 100MiB or 1GiB",
  });

/** A lane's log cap: a byte size of at least MIN_LOG_LIMIT_BYTES. */
export const LogLimit = ByteSize.refine((value) => (parseByteSize(value) ?? 0) >= MIN_LOG_LIMIT_BYTES, {
  message: `log_limit must be at least ${MIN_LOG_LIMIT_BYTES} bytes (4KiB)`,
}).meta({
  title: "byte size",
  description:
    "Cap on the lane's stored log: bytes, or a size such as `512KiB`, `100MiB`, `1GiB` (KB/MB/GB are powers of 1000); at least `4KiB`, default `100MiB`. A longer log keeps its first and last halves around a marker line.",
});
