import type { Verdict } from "../executor/incus/classify.js";
import { formatMemory } from "./memory.js";

/**
 * The `oom_kill N` count in a memory cgroup's counters: cgroup v2's `memory.events` and cgroup v1's
 * `memory.oom_control` both carry that line. null when the text has none (no such counter here).
 */
export function parseOomKills(text: string): number | null {
  const match = /^oom_kill (\d+)$/m.exec(text);
  return match ? Number(match[1]) : null;
}

/**
 * A lane the kernel's OOM killer hit ends `failed` saying so, rather than as an unexplained exit 137
 * (or, when the runner itself was killed, as a missing result.json). Cancellation and timeouts keep
 * their own verdict: they explain the ending already.
 */
export function withOutOfMemory(
  verdict: Verdict,
  facts: { oomKills: number | null; memoryBytes: number | undefined },
): Verdict {
  if (!facts.oomKills || facts.memoryBytes === undefined) return verdict;
  if (verdict.status !== "failed" || verdict.failure_kind === "timeout") return verdict;
  return {
    status: "failed",
    failure_kind: "test_failure",
    exit_code: verdict.exit_code,
    message: `out of memory (limit ${formatMemory(facts.memoryBytes)})`,
  };
}
