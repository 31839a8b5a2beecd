import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";

/** Every place a workflow meets the Action names it the same way: owner/repo@v<major>. */
const repo = path.resolve(import.meta.dirname, "../../..");

function files(dir: string, pattern: RegExp): string[] {
  return readdirSync(path.join(repo, dir), { recursive: true, encoding: "utf8" })
    .filter((f) => pattern.test(f))
    .map((f) => path.join(dir, f));
}

describe("the Action's published name", () => {
  const published = new URL(parse(readFileSync(path.join(repo, "app/app.yml"), "utf8")).url).pathname.slice(
    1,
  );
  const places = [...files("examples/workflows", /\.ya?ml$/), ...files("docs", /\.md$/), "README.md"];
  const uses = places.flatMap((file) =>
    [
      ...readFileSync(path.join(repo, file), "utf8").matchAll(/uses:\s*([\w.-]+\/pikaci(?:@[\w.-]*\w)?)/g),
    ].map((m) => ({
      file,
      ref: m[1]!,
    })),
  );

  it("is used by the example workflows", () => {
    expect(uses.filter((u) => u.file.startsWith("examples/")).length).toBeGreaterThanOrEqual(2);
  });

  it("is the repository the App's manifest links to, at one moving major tag", () => {
    const refs = new Set(uses.map((u) => u.ref));
    expect([...refs]).toHaveLength(1);
    expect([...refs][0]).toMatch(new RegExp(`^${published}@v\\d+$`));
  });
});
