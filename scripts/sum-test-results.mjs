// Prints the closing lines over every vitest JSON report in a folder. A report's file name says what
// it ran on (`unit-node20.json` → suite "unit" on Node 20). The same test run on two runtimes counts
// once: it passed only if it passed on every runtime it ran on, so the closing line counts distinct
// tests ("N passed, N failed, N skipped"), and a line per suite names the runtimes.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";

const dir = process.argv[2];
const RANK = { failed: 3, passed: 2, skipped: 1 };
const outcome = (status) => (status === "passed" ? "passed" : status === "failed" ? "failed" : "skipped");

/** key "suite\0file\0full name" → worst outcome over runtimes */
const tests = new Map();
/** suite → Set of runtimes */
const runtimes = new Map();
for (const name of readdirSync(dir).filter((n) => n.endsWith(".json"))) {
  const [suite, runtime = "node"] = name.replace(/\.json$/, "").split("-");
  if (!runtimes.has(suite)) runtimes.set(suite, new Set());
  runtimes.get(suite).add(runtime.replace(/^node(\d+)$/, "Node $1"));
  const report = JSON.parse(readFileSync(path.join(dir, name), "utf8"));
  for (const file of report.testResults) {
    const rel = path.relative(process.cwd(), file.name);
    for (const t of file.assertionResults) {
      const key = `${suite}\0${rel}\0${t.fullName}`;
      const now = outcome(t.status);
      const before = tests.get(key);
      if (!before || RANK[now] > RANK[before]) tests.set(key, now);
    }
    // A file that failed to load has no assertions but must still fail the run.
    if (file.status === "failed" && file.assertionResults.length === 0)
      tests.set(`${suite}\0${rel}\0(file failed to load)`, "failed");
  }
}

const count = (suite, kind) =>
  [...tests].filter(([k, v]) => (suite === null || k.startsWith(`${suite}\0`)) && v === kind).length;
for (const [suite, rts] of runtimes) {
  const total = count(suite, "passed") + count(suite, "failed") + count(suite, "skipped");
  console.log(`${suite}: ${total} distinct tests, run on ${[...rts].sort().join(" and ")}`);
}
const passed = count(null, "passed");
const failed = count(null, "failed");
console.log(`${passed} passed, ${failed} failed, ${count(null, "skipped")} skipped`);
process.exitCode = failed > 0 || passed === 0 ? 1 : 0;
