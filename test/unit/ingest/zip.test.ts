import { describe, expect, it } from "vitest";
import { InvalidArtifactError } from "../../../src/ingest/errors.js";
import { readZip, type ZipLimits } from "../../../src/ingest/zip.js";
import { craftZip } from "./craft-zip.js";

const LIMITS: ZipLimits = {
  maxZipBytes: 1 << 20,
  maxEntries: 10,
  maxEntryBytes: 64 * 1024,
  maxTotalBytes: 128 * 1024,
};

describe("readZip", () => {
  it("reads stored and deflated entries", () => {
    const zip = craftZip([
      { name: "run.json", data: "{}" },
      { name: "jobs/a/guest.log", data: "x".repeat(10_000), deflate: true },
    ]);
    const entries = readZip(zip, LIMITS);
    expect(entries.map((e) => [e.name, e.data.length])).toEqual([
      ["run.json", 2],
      ["jobs/a/guest.log", 10_000],
    ]);
  });

  it.each([
    ["../evil", /'\.\.'/],
    ["jobs/../../evil", /'\.\.'/],
    ["/etc/passwd", /absolute/],
    ["C:/evil", /absolute/],
    ["jobs\\..\\evil", /backslash/],
    ["jobs/a\u0000/guest.log", /NUL/],
    ["jobs//guest.log", /empty path segment/],
  ])("rejects the entry name %j", (name, message) => {
    expect(() => readZip(craftZip([{ name, data: "x" }]), LIMITS)).toThrow(message);
  });

  it("rejects symbolic links", () => {
    expect(() =>
      readZip(craftZip([{ name: "run.json", data: "/etc/passwd", mode: 0o120777 }]), LIMITS),
    ).toThrow(/symbolic link/);
  });

  it("rejects too many entries, a too-large entry and a too-large total by their declared sizes", () => {
    const many = Array.from({ length: 11 }, (_, i) => ({ name: `f${i}`, data: "x" }));
    expect(() => readZip(craftZip(many), LIMITS)).toThrow(/11 entries; the limit is 10/);
    expect(() =>
      readZip(craftZip([{ name: "big", data: "x".repeat(70_000), deflate: true }]), LIMITS),
    ).toThrow(/the limit is 65536/);
    const total = [1, 2, 3].map((i) => ({ name: `f${i}`, data: "x".repeat(60_000), deflate: true }));
    expect(() => readZip(craftZip(total), LIMITS)).toThrow(/more than 131072 bytes/);
  });

  it("stops inflating an entry that lies about its size (a zip bomb)", () => {
    const bomb = craftZip([
      { name: "bomb", data: Buffer.alloc(50 * 1024 * 1024), deflate: true, declaredSize: 100 },
    ]);
    expect(bomb.length).toBeLessThan(100_000);
    const started = performance.now();
    expect(() => readZip(bomb, LIMITS)).toThrow(InvalidArtifactError);
    expect(() => readZip(bomb, LIMITS)).toThrow(/not the declared|beyond the size limit/);
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  it("rejects a corrupt archive, a CRC mismatch and duplicate names", () => {
    expect(() => readZip(Buffer.from("definitely not a zip file at all, no"), LIMITS)).toThrow(/not a zip/);
    const zip = craftZip([{ name: "a", data: "hello" }]);
    zip[30 + 1] = "X".charCodeAt(0); // flip a data byte after the 30-byte header + 1-byte name
    expect(() => readZip(zip, LIMITS)).toThrow(/CRC/);
    const twice = craftZip([
      { name: "a", data: "1" },
      { name: "a", data: "2" },
    ]);
    expect(() => readZip(twice, LIMITS)).toThrow(/twice/);
  });
});
