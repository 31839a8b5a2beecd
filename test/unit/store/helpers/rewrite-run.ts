/**
 * Child process for the kill -9 test: rewrites `<dir>/run.json` with alternating multi-megabyte
 * records as fast as it can, until killed. Prints "loaded" when it is ready to start, waits for
 * a line on stdin (so the test can start the next writer while the current one runs), and prints
 * "writing" once the first write has landed.
 */
import { once } from "node:events";
import path from "node:path";
import type { RunRecord } from "../../../../src/schema/index.js";
import { atomicWriteFile } from "../../../../src/store/index.js";

export function bigRecord(variant: string, jobs = 16): RunRecord {
  const excerpt = `${variant} `.repeat(20_000);
  return {
    schema_version: 1,
    run_id: "20260324T162238Z-1a2b3c4d",
    status: "running",
    git_head: null,
    git_dirty: null,
    created_at: "2026-03-24T16:22:38Z",
    finished_at: null,
    plan_path: null,
    changed_files: null,
    filters: [],
    message: variant,
    prepare_timings: [],
    jobs: Array.from({ length: jobs }, (_, i) => ({
      id: `job-${i}`,
      lane_id: `job-${i}`,
      description: "x",
      status: "running" as const,
      executor: "local" as const,
      plan_node_id: `execute-job-${i}`,
      timeout_secs: 60,
      host_log_path: null,
      guest_log_path: null,
      started_at: null,
      finished_at: null,
      exit_code: null,
      message: null,
      failure_kind: null,
      phases: [],
      failure_excerpt: excerpt,
    })),
  };
}

export const VARIANTS = ["variant-A", "variant-B"] as const;

if (process.argv[2]) {
  const target = path.join(process.argv[2], "run.json");
  const texts = VARIANTS.map((v) => JSON.stringify(bigRecord(v), null, 2));
  process.stdout.write("loaded\n");
  await once(process.stdin, "data");
  let i = 0;
  await atomicWriteFile(target, texts[i++ % 2]!);
  process.stdout.write("writing\n");
  for (;;) await atomicWriteFile(target, texts[i++ % 2]!);
}
