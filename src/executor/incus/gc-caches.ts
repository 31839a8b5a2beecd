import { posix } from "node:path";
import { InfrastructureError } from "../../errors/index.js";
import type { Transport } from "../../transport/transport.js";

export const DEFAULT_CACHE_UNUSED_DAYS = 30;

/**
 * `pikaci gc`: saved keyed caches (`cache/<name>/<key>/`, docs/dependencies.md §4) whose
 * `<key>.used` was last touched by a restore or save more than `days` days ago are removed (the
 * stamp last, so a crash leaves it to try again). Unkeyed cache dirs have no stamp and are kept.
 */
export async function sweepUnusedCaches(params: {
  transport: Transport;
  remoteWorkDir: string;
  days: number;
  dryRun: boolean;
}): Promise<string[]> {
  const script = [
    "d=$1; dry=$2; days=$3",
    '[ -d "$d/cache" ] || exit 0',
    'find "$d/cache" -mindepth 2 -maxdepth 2 -type f -name "*.used" -mtime +"$days" | while IFS= read -r u; do',
    '  k=$(printf "%s" "$u" | sed "s/\\.used$//"); printf "%s\\n" "$k"',
    '  [ "$dry" = 1 ] || { rm -rf -- "$k" && rm -f -- "$u"; }',
    "done",
  ].join("\n");
  const argv = [
    "sh",
    "-c",
    script,
    "pikaci-gc-caches",
    posix.normalize(params.remoteWorkDir),
    params.dryRun ? "1" : "0",
    String(Math.max(0, Math.floor(params.days) - 1)),
  ];
  const result = await params.transport.exec(argv, { timeoutMs: 300_000 });
  if (result.code !== 0) {
    throw new InfrastructureError(
      `cannot sweep unused caches on ${params.transport.description}: ${result.stderr}`,
    );
  }
  return result.stdout
    .toString()
    .split("\n")
    .filter((line) => line !== "");
}
