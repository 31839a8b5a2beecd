import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { InfrastructureError } from "../../../src/errors/index.js";
import { LocalhostTransport } from "../../../src/transport/localhost.js";

const t = new LocalhostTransport();

describe("LocalhostTransport", () => {
  it("runs argv without a shell and passes stdin of every kind", async () => {
    const hostile = "$(echo no) `id` 'q' \"d\"\nline2 grüße";
    const echo = await t.exec(["printf", "%s", hostile]);
    expect(echo.stdout.toString("utf8")).toBe(hostile);
    for (const stdin of [
      "text",
      Buffer.from("text"),
      Readable.from([Buffer.from("te"), Buffer.from("xt")]),
    ]) {
      const out = await t.exec(["cat"], { stdin });
      expect(out).toMatchObject({ code: 0, signal: null });
      expect(out.stdout.toString()).toBe("text");
    }
    expect(t.description).toBe("localhost");
  });

  it("reports exit codes and streams output", async () => {
    const chunks: string[] = [];
    const result = await t.exec(["sh", "-c", "echo out; echo err >&2; exit 3"], {
      onStdout: (c) => chunks.push(c.toString()),
      collect: false,
    });
    expect(result.code).toBe(3);
    expect(result.stdout.length).toBe(0);
    expect(chunks.join("")).toBe("out\n");
  });

  it("kills the whole process group on timeout", async () => {
    const started = Date.now();
    const error = await t.exec(["sh", "-c", "sleep 30 & sleep 30; wait"], { timeoutMs: 300 }).catch((e) => e);
    expect(error).toBeInstanceOf(InfrastructureError);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it("fails with a hint when the program does not exist", async () => {
    await expect(t.exec(["pikaci-no-such-program"])).rejects.toThrow(/could not start/);
  });
});
