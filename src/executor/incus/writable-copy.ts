import { InfrastructureError } from "../../errors/index.js";
import type { IncusClient } from "../../incus/client.js";
import { GUEST_SNAPSHOT } from "./devices.js";

export const GUEST_WRITABLE = "/workspace/rw";

/**
 * A lane with `writable_workspace` gets its own writable workspace inside the instance, which
 * disappears with it (no host cleanup). Never hard links (`cp -al`): the snapshot's files are hard
 * links into the content-addressed object store, so a job writing through one would corrupt every
 * later snapshot.
 * The workspace is a copy chowned to the run user. Measured on a 20k-file, 4.5 MB tree on the
 * loaded 2-core test machine: +4.5…26 s; a host-side `cp -a --reflink=auto` + chmod took 36 s plus
 * 13 s to remove, so the in-instance copy is the cheaper safe copy. An overlayfs in the instance
 * mounts in O(1), but copy-up of files owned by an unmapped uid fails ("Permission denied"): it
 * only works for root lanes with `shift=true` on the snapshot device (verified by hand), and never
 * for the unprivileged user, so it is not used yet.
 */
export async function makeWritableCopy(params: {
  incus: IncusClient;
  name: string;
  runAsRoot: boolean;
  user?: string;
  signal: AbortSignal;
}): Promise<{ path: string; method: "copy" }> {
  const script = [
    "set -e",
    `mkdir -p ${GUEST_WRITABLE}`,
    // -R keeps symlinks as symlinks (busybox and GNU); no -p: the files are the job's now; exec bits stay.
    `cp -R ${GUEST_SNAPSHOT}/. ${GUEST_WRITABLE}/`,
    // Objects in the content-addressed store are read-only (a-w); the job's copy must be writable.
    `chmod -R u+w ${GUEST_WRITABLE}`,
    `if [ "$1" != 1 ]; then chown -R "$(id -u "$2"):$(id -g "$2")" ${GUEST_WRITABLE}; fi`,
    "echo copy",
  ].join("\n");
  const result = await params.incus.exec(
    params.name,
    ["sh", "-c", script, "pikaci-copy", params.runAsRoot ? "1" : "0", params.user ?? "pikaci"],
    { signal: params.signal },
  );
  if (result.code !== 0) {
    throw new InfrastructureError(
      `cannot make the writable workspace in ${params.name}: ${result.stderr.toString().trim()}`,
      { hint: "check the instance's disk space and that the image has cp, chown and id" },
    );
  }
  return { path: GUEST_WRITABLE, method: "copy" };
}
