import { describe, expect, it } from "vitest";
import { createWarmPool } from "../../../src/executor/incus/pool.js";
import type { IncusClient } from "../../../src/incus/client.js";

/** An Incus stand-in that records the pool's calls: an alias, an empty pool, launches that succeed. */
function fakeIncus(created: string[]): IncusClient {
  const unused = () => Promise.reject(new Error("not used by the pool"));
  return {
    imageExists: async () => true,
    imageFingerprint: async () => "f".repeat(64),
    create: async (spec) => void created.push(spec.name),
    addDisk: unused,
    start: unused,
    exec: unused,
    waitReady: unused,
    delete: async () => {},
    list: async () => [],
    claim: async () => false,
    patch: unused,
    connection: async () => ({ kind: "cli", reason: "fake" }),
  };
}

describe("warm pool top-up", () => {
  it("launches nothing while a job of the process is still starting, then fills the pool", async () => {
    const created: string[] = [];
    const background: Promise<void>[] = [];
    let quietNow!: () => void;
    const quiet = new Promise<void>((resolve) => {
      quietNow = resolve;
    });
    const pool = createWarmPool({
      incus: fakeIncus(created),
      size: 2,
      project: "default",
      track: (work) => void background.push(work),
      warn: (message) => {
        throw new Error(message);
      },
      quiet: () => quiet,
    });
    expect(await pool.claim("img", "container", Promise.resolve(null))).toBeNull();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(created).toEqual([]);
    quietNow();
    await Promise.all(background);
    expect(created).toHaveLength(2);
  });
});
