import { InfrastructureError } from "../../errors/index.js";
import { buildSnapshot } from "../../snapshot/build.js";
import type { SnapshotRef } from "../../snapshot/entries.js";
import type { CopyEntry } from "./copy-tree.js";

/**
 * The entries of the snapshot a job was planned against. The tree is re-listed (cheap: the digest
 * cache turns it into stats) and must still hash the same, or the job would run code the record
 * does not name.
 */
export async function snapshotEntries(ref: SnapshotRef): Promise<CopyEntry[]> {
  const { hash } = ref;
  const snapshot = await buildSnapshot({ root: ref.root, stateRoot: ref.stateRoot, include: ref.include });
  if (snapshot.hash !== hash) {
    throw new InfrastructureError(
      `the workspace changed while the run was starting (snapshot ${hash.slice(0, 12)} is now ${snapshot.hash.slice(0, 12)})`,
      { hint: "do not edit files while `pikaci run` starts its lanes; run it again" },
    );
  }
  return snapshot.entries.map((entry): CopyEntry => {
    if (entry.type === "file") return { type: "file", path: entry.path, mode: entry.exec ? 0o755 : 0o644 };
    if (entry.type === "symlink") return { type: "symlink", path: entry.path, target: entry.target };
    return { type: "dir", path: entry.path };
  });
}
