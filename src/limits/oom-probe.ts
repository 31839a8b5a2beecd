import { shellQuote } from "../ssh/quote.js";
import type { Transport } from "../transport/transport.js";
import { parseOomKills } from "./oom.js";

/** LXC's cgroup for the instance's processes; `<project>_<instance>` outside the default project. */
export function payloadCgroup(instance: string, project?: string): string {
  return `lxc.payload.${project && project !== "default" ? `${project}_${instance}` : instance}`;
}

/**
 * Where the build host usually keeps a container's memory counters: cgroup v2 at the root of the
 * unified tree (or under incus.service), cgroup v1 under the memory controller. Read from the host
 * because a guest need not mount its own cgroup tree (the busybox image does not).
 */
export function oomCounterPaths(instance: string, project?: string): string[] {
  const payload = payloadCgroup(instance, project);
  return [
    `/sys/fs/cgroup/${payload}/memory.events`,
    `/sys/fs/cgroup/system.slice/incus.service/${payload}/memory.events`,
    `/sys/fs/cgroup/memory/${payload}/memory.oom_control`,
  ];
}

/** How many processes the OOM killer took in the instance; null when no counter could be read. */
export async function readOomKills(params: {
  transport: Transport;
  instance: string;
  project?: string;
}): Promise<number | null> {
  const paths = oomCounterPaths(params.instance, params.project).map(shellQuote).join(" ");
  // The usual places first; a host that nests its cgroups elsewhere is searched (a few ms more).
  const script =
    `for f in ${paths}; do if [ -r "$f" ]; then cat "$f"; exit 0; fi; done; ` +
    `d=$(find /sys/fs/cgroup -maxdepth 6 -type d -name ${shellQuote(payloadCgroup(params.instance, params.project))} 2>/dev/null | head -n 1); ` +
    `[ -n "$d" ] && cat "$d/memory.events" "$d/memory.oom_control" 2>/dev/null; exit 0`;
  const result = await params.transport.exec(["sh", "-c", script], { timeoutMs: 15_000 }).catch(() => null);
  if (result === null || result.code !== 0) return null;
  return parseOomKills(result.stdout.toString());
}
