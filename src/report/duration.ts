/**
 * `850ms`, `4.1s`, `14s`, `2m14s`, `1h02m` — short enough for a one-line title. The one duration
 * format a user sees: check runs, the CLI and the run pages all call this. `unknown` stands in for a
 * missing or negative duration.
 */
export function formatDuration(ms: number | null | undefined, unknown = "?"): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms) || ms < 0) return unknown;
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 9950) return `${(ms / 1000).toFixed(1).replace(/\.0$/, "")}s`;
  const totalSecs = Math.round(ms / 1000);
  if (totalSecs < 60) return `${totalSecs}s`;
  const hours = Math.floor(totalSecs / 3600);
  const mins = Math.floor((totalSecs % 3600) / 60);
  const secs = totalSecs % 60;
  if (hours > 0) return `${hours}h${String(mins).padStart(2, "0")}m`;
  return secs === 0 ? `${mins}m` : `${mins}m${String(secs).padStart(2, "0")}s`;
}

/** `30m`, `1h`, `90s` for a timeout in seconds. */
export function formatTimeout(secs: number): string {
  if (secs % 3600 === 0) return `${secs / 3600}h`;
  if (secs % 60 === 0) return `${secs / 60}m`;
  return formatDuration(secs * 1000);
}
