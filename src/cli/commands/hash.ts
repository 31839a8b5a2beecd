import path from "node:path";
import { UsageError } from "../../errors/index.js";
import { buildSnapshot } from "../../snapshot/index.js";
import { parseCommandArgs } from "../args.js";
import type { Command } from "../io.js";

export const hashCommand: Command = {
  name: "hash",
  summary: "print the content hash of a workspace snapshot (docs/snapshot-hash.md)",
  usage: `Usage: pikaci hash [DIR] [--json] [--no-cache]

Prints the SHA-256 snapshot hash of DIR (default: the current directory): git-tracked plus
untracked non-ignored files in a git work tree, every file otherwise, minus the default excludes.
The algorithm is in docs/snapshot-hash.md. Per-file digests are cached in
DIR/.pikaci/cache/digests-v3.bin, so hashing an unchanged tree reads no file (in a git work tree
git's index supplies the stat data, so pikaci does not even stat the tracked files).

Options:
      --json       print {hash, files, bytes, cache_hits, source, memo} as JSON
      --no-cache   neither read nor write the digest cache
  -h, --help       show this help`,
  async run(args, io) {
    const { values, positionals } = parseCommandArgs(
      "hash",
      args,
      { json: { type: "boolean", default: false }, "no-cache": { type: "boolean", default: false } },
      true,
    );
    if (positionals.length > 1) {
      throw new UsageError("pikaci hash takes at most one DIR", { hint: "see `pikaci hash --help`" });
    }
    const root = path.resolve(io.cwd, positionals[0] ?? ".");
    const snapshot = await buildSnapshot({ root, ...(values["no-cache"] ? { cacheFile: null } : {}) });
    if (values.json) {
      const { hash, files, bytes, cacheHits, source, memo } = snapshot;
      io.stdout.write(`${JSON.stringify({ hash, files, bytes, cache_hits: cacheHits, source, memo })}\n`);
    } else {
      io.stdout.write(`${snapshot.hash}\n`);
    }
    return 0;
  },
};
