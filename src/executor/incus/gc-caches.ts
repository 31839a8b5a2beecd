import type { Transport } from "../../transport/transport.js";
import { runSweep } from "./sweep.js";

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
  return runSweep({
    transport: params.transport,
    script,
    name: "pikaci-gc-caches",
    workDir: params.remoteWorkDir,
    dryRun: params.dryRun,
    arg: String(Math.max(0, Math.floor(params.days) - 1)),
    what: "sweep unused caches",
  });
}
