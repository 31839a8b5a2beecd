/**
 * Writes the published JSON Schemas in schemas/ and the config reference docs/config.md from the
 * zod schemas in src/schema. `--check` fails (exit 1) when a committed file differs from a fresh
 * generation, so CI catches a schema change that forgot to regenerate.
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { GuestResult, PikaciConfig, PlanRecord, RunEvent, RunRecord } from "../src/schema/index.js";
import { type JsonSchema, renderConfigReference, undescribedKeys } from "./lib/config-reference.js";

const REPO = path.join(import.meta.dirname, "..");

const targets: Record<string, { schema: z.ZodType; io: "input" | "output"; title: string }> = {
  "pikaci-config.schema.json": { schema: PikaciConfig, io: "input", title: "pikaci .github/pikaci.yml" },
  "run.schema.json": { schema: RunRecord, io: "output", title: "pikaci run.json" },
  "plan.schema.json": { schema: PlanRecord, io: "output", title: "pikaci plan.json" },
  "guest-result.schema.json": { schema: GuestResult, io: "output", title: "pikaci guest result.json" },
  "event.schema.json": { schema: RunEvent, io: "output", title: "pikaci run --json event" },
};

const jsonSchema = (name: string) => {
  const target = targets[name]!;
  return z.toJSONSchema(target.schema, { io: target.io, target: "draft-2020-12" });
};

/** Every generated file, relative to the repository, with its fresh content. */
const outputs: Record<string, () => string> = {
  ...Object.fromEntries(
    Object.keys(targets).map((name) => [
      `schemas/${name}`,
      () => `${JSON.stringify({ title: targets[name]!.title, ...jsonSchema(name) }, null, 2)}\n`,
    ]),
  ),
  "docs/config.md": () => renderConfigReference(jsonSchema("pikaci-config.schema.json") as JsonSchema),
};

const undescribed = undescribedKeys(jsonSchema("pikaci-config.schema.json") as JsonSchema);
if (undescribed.length > 0) {
  console.error(
    `config keys without a meaning: ${undescribed.join(", ")}. Give each a one-line .describe("…") in src/schema/config.ts.`,
  );
  process.exit(1);
}

const check = process.argv.includes("--check");
await mkdir(path.join(REPO, "schemas"), { recursive: true });
const stale: string[] = [];
for (const [name, render] of Object.entries(outputs)) {
  const file = path.join(REPO, name);
  const fresh = render();
  if (check) {
    const current = await readFile(file, "utf8").catch(() => "");
    if (current !== fresh) stale.push(name);
  } else {
    await writeFile(file, fresh);
  }
}
if (stale.length > 0) {
  console.error(`stale generated files: ${stale.join(", ")}. Run \`npm run schemas\` and commit the result.`);
  process.exit(1);
}
console.log(check ? "schemas/ and docs/config.md are fresh" : `wrote ${Object.keys(outputs).join(", ")}`);
