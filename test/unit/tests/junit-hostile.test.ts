import { mkdtemp, open, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createJunitReader, type RawTestCase, readLaneReports } from "../../../src/tests/index.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "pikaci-junit-hostile-"));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function readText(name: string, text: string) {
  await writeFile(join(dir, name), text);
  return readLaneReports({ files: [{ path: join(dir, name), name }], roots: { repoRoot: dir } });
}

function feed(chunks: Iterable<string>, limits = {}): { cases: RawTestCase[]; error: Error | null } {
  const cases: RawTestCase[] = [];
  const reader = createJunitReader({ onCase: (c) => cases.push(c), limits });
  try {
    for (const chunk of chunks) reader.write(chunk);
    reader.end();
    return { cases, error: null };
  } catch (error) {
    return { cases, error: error as Error };
  }
}

const BILLION_LAUGHS = `<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<testsuite name="s"><testcase name="&lol9;"><failure message="&lol9;"/></testcase></testsuite>`;

describe("hostile JUnit reports", () => {
  it("billion laughs: refused at the DOCTYPE, nothing expanded", async () => {
    const r = await readText("lol.xml", BILLION_LAUGHS);
    expect(r.counts.total).toBe(0);
    expect(r.warnings).toEqual([expect.stringMatching(/^lol\.xml: .*DOCTYPE/)]);
  });

  it("an external entity is refused, so no file of the host is read into the report", async () => {
    const r = await readText(
      "xxe.xml",
      `<?xml version="1.0"?><!DOCTYPE t [<!ENTITY x SYSTEM "file:///etc/passwd">]><testsuite><testcase name="&x;"/></testsuite>`,
    );
    expect(r.counts.total).toBe(0);
    expect(JSON.stringify(r)).not.toContain("root:");
    expect(r.warnings[0]).toMatch(/DOCTYPE/);
  });

  it("a DOCTYPE split across two chunks is still seen", () => {
    const { error } = feed(['<?xml version="1.0"?><!DOC', 'TYPE x []><testsuite name="s"/>']);
    expect(error?.message).toMatch(/DOCTYPE/);
  });

  it("an undeclared entity reference is malformed XML, not an expansion", () => {
    const { cases, error } = feed(['<testsuite><testcase name="a&ext;b"/></testsuite>']);
    expect(error?.message).toMatch(/malformed XML/);
    expect(cases).toEqual([]);
  });

  it("a file over the byte cap is refused before it is read (a sparse 200 MB file)", async () => {
    const path = join(dir, "huge.xml");
    const handle = await open(path, "w");
    await handle.truncate(200 * 1024 * 1024);
    await handle.close();
    const r = await readLaneReports({ files: [{ path, name: "huge.xml" }], roots: { repoRoot: dir } });
    expect(r.warnings).toEqual([
      expect.stringMatching(/huge\.xml: the report is 209715200 bytes, over the 67108864-byte limit/),
    ]);
  });

  it("a stream over the byte cap stops at the cap; cases before it still count", () => {
    const row = '<testcase name="t" time="0.1"/>';
    const chunks = function* () {
      yield "<testsuite name='s'>";
      for (let i = 0; i < 10_000; i++) yield row;
    };
    const { cases, error } = feed(chunks(), { maxBytes: 100_000 });
    expect(error?.message).toMatch(/larger than 100000 bytes/);
    expect(cases.length).toBeGreaterThan(3000);
    expect(cases.length).toBeLessThan(3300);
  });

  it("an endless attribute value is refused instead of buffered", () => {
    const chunks = function* () {
      yield '<testsuite name="';
      for (let i = 0; i < 100; i++) yield "a".repeat(64 * 1024);
    };
    const { error } = feed(chunks());
    expect(error?.message).toMatch(/attribute is longer than 65536/);
  });

  it("a huge failure text and system-out are cut to the text limit", () => {
    const chunks = function* () {
      yield '<testsuite name="s"><testcase name="t"><failure>';
      for (let i = 0; i < 200; i++) yield "x".repeat(64 * 1024);
      yield "</failure><system-out>";
      for (let i = 0; i < 200; i++) yield "y".repeat(64 * 1024);
      yield "</system-out></testcase></testsuite>";
    };
    const { cases, error } = feed(chunks());
    expect(error).toBeNull();
    expect(cases[0]!.status).toBe("failed");
    expect(cases[0]!.details!.length).toBe(8192);
    expect(cases[0]!.systemOut!.length).toBe(8192);
  });

  it("malformed XML keeps the cases read before the break, with a warning naming the file", async () => {
    const r = await readText(
      "broken.xml",
      '<testsuite name="s"><testcase name="ok"/><testcase name="bad"><failure message="m">x</failure></testcase><testcase',
    );
    expect(r.counts).toMatchObject({ total: 2, passed: 1, failed: 1 });
    expect(r.warnings[0]).toMatch(/^broken\.xml: malformed XML/);
  });

  it("a file that is not XML at all is a warning, not a crash", async () => {
    const r = await readText("empty.xml", "");
    expect(r.counts.total).toBe(0);
    expect(r.warnings[0]).toMatch(/no XML elements/);
  });
});
