/**
 * Writes the published JSON Schemas in schemas/ from the zod schemas in src/schema.
 * `--check` fails (exit 1) when a committed file differs from a fresh generation, so CI
 * catches a schema change that forgot to regenerate.
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { GuestResult, PikaciConfig, PlanRecord, RunEvent, RunRecord } from "../src/schema/index.js";

const OUT_DIR = path.join(import.meta.dirname, "..", "schemas");

const targets: Record<string, { schema: z.ZodType; io: "input" | "output"; title: string }> = {
  "pikaci-config.schema.json": { schema: PikaciConfig, io: "input", title: "pikaci .github/pikaci.yml" },
  "run.schema.json": { schema: RunRecord, io: "output", title: "pikaci run.json" },
  "plan.schema.json": { schema: PlanRecord, io: "output", title: "pikaci plan.json" },
  "guest-result.schema.json": { schema: GuestResult, io: "output", title: "pikaci guest result.json" },
  "event.schema.json": { schema: RunEvent, io: "output", title: "pikaci run --json event" },
};

function render(name: string): string {
  const target = targets[name]!;
  const json = z.toJSONSchema(target.schema, { io: target.io, target: "draft-2020-12" });
  return `${JSON.stringify({ title: target.title, ...json }, null, 2)}\n`;
}

const check = process.argv.includes("--check");
await mkdir(OUT_DIR, { recursive: true });
const stale: string[] = [];
for (const name of Object.keys(targets)) {
  const file = path.join(OUT_DIR, name);
  const fresh = render(name);
  if (check) {
    const current = await readFile(file, "utf8").catch(() => "");
    if (current !== fresh) stale.push(name);
  } else {
    await writeFile(file, fresh);
  }
}
if (stale.length > 0) {
  console.error(`schemas/ is stale: ${stale.join(", ")}. Run \`npm run schemas\` and commit the result.`);
  process.exit(1);
}
console.log(check ? "schemas/ is fresh" : `wrote ${Object.keys(targets).length} schemas to schemas/`);
