import type { LogTruncation } from "../schema/index.js";

/** `104857600` → `100.0 MiB`: sizes people read, not bytes they count. */
export function formatBytes(bytes: number): string {
  const units = ["bytes", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} bytes` : `${value.toFixed(1)} ${units[unit]}`;
}

/** The line a report shows when a lane's log outgrew its cap. */
export function logCutLine(t: LogTruncation): string {
  return `Log truncated: kept first ${formatBytes(t.head_bytes)} and last ${formatBytes(t.tail_bytes)} of ${formatBytes(t.total_bytes)} (log_limit ${formatBytes(t.limit_bytes)}).`;
}
