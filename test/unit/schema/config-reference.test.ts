import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  describeRules,
  describeType,
  renderConfigReference,
  undescribedKeys,
} from "../../../scripts/lib/config-reference.js";
import { PikaciConfig } from "../../../src/schema/index.js";

describe("config reference", () => {
  it("names types, unions, enums and maps the way a reader writes YAML", () => {
    expect(describeType({ type: "string", enum: ["container", "vm"] })).toBe("`container` | `vm`");
    expect(describeType({ anyOf: [{ type: "string" }, { type: "array", items: { type: "string" } }] })).toBe(
      "string or list of string",
    );
    expect(describeType({ type: "object", additionalProperties: { type: "string" } })).toBe(
      "map of name → string",
    );
    expect(describeType({ title: "duration", anyOf: [{ type: "integer" }] })).toBe("duration");
    expect(describeRules({ type: "integer", minimum: 0, maximum: 5 })).toBe("0–5");
  });

  it("renders a section per nested object, marks required keys and defaults, escapes pipes", () => {
    const schema = z.toJSONSchema(
      z.strictObject({
        name: z.string().describe("who | what"),
        inner: z.strictObject({ n: z.number().int().min(1).default(2) }).optional(),
        items: z.array(z.strictObject({ id: z.string() })),
      }),
      { io: "input" },
    );
    const md = renderConfigReference(schema as never);
    expect(md).toContain("| `name` | string | yes |  |  | who \\| what |");
    expect(md).toContain("## `inner`");
    expect(md).toContain("| `n` | integer |  | `2` | ≥ 1 |  |");
    expect(md).toContain("## `items[]`");
    expect(md).toContain("| `id` | string | yes |");
  });

  it("documents every key of the real config schema, lanes included", () => {
    const md = renderConfigReference(z.toJSONSchema(PikaciConfig, { io: "input" }) as never);
    const laneKeys = Object.keys(PikaciConfig.shape.lanes.element.shape);
    const lanes = md.slice(md.indexOf("## `lanes[]`"));
    for (const key of laneKeys) expect(lanes).toContain(`| \`${key}\` |`);
    for (const key of Object.keys(PikaciConfig.shape)) expect(md).toContain(`| \`${key}\` |`);
  });

  it("gives every key of the real config schema a meaning from its zod description", () => {
    expect(undescribedKeys(z.toJSONSchema(PikaciConfig, { io: "input" }) as never)).toEqual([]);
  });

  it("names the keys that have no meaning, nested ones by their dotted path", () => {
    const schema = z.toJSONSchema(
      z.strictObject({
        named: z.string().describe("has one"),
        bare: z.string(),
        items: z.array(z.strictObject({ id: z.string(), ok: z.string().describe("fine") })).describe("list"),
      }),
      { io: "input" },
    );
    expect(undescribedKeys(schema as never)).toEqual(["bare", "items[].id"]);
  });
});
