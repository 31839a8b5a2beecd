import { describe, expect, it } from "vitest";
import { leanRetry } from "../src/lean-retry.js";

type Wrapper = (request: (o: unknown) => Promise<unknown>, options: unknown) => Promise<unknown>;

function wrapped(options: { retries?: number; baseMs?: number }): Wrapper {
  let wrapper: Wrapper | undefined;
  leanRetry({ hook: { wrap: (_name, fn) => (wrapper = fn) } }, { leanRetry: options });
  return wrapper!;
}

const failing = (statuses: number[]) => {
  let calls = 0;
  const request = async () => {
    const status = statuses[calls++];
    if (status === undefined) return "ok";
    throw Object.assign(new Error(`HTTP ${status}`), { status });
  };
  return { request, calls: () => calls };
};

describe("leanRetry", () => {
  it("retries a 5xx until it succeeds, within the retry count", async () => {
    const r = failing([502, 500]);
    await expect(wrapped({ baseMs: 1 })(r.request, {})).resolves.toBe("ok");
    expect(r.calls()).toBe(3);
  });

  it("gives up after the retries and never retries what a retry cannot fix", async () => {
    const many = failing([503, 503, 503, 503, 503]);
    await expect(wrapped({ baseMs: 1, retries: 3 })(many.request, {})).rejects.toThrow("HTTP 503");
    expect(many.calls()).toBe(4);
    for (const status of [304, 404, 422]) {
      const once = failing([status]);
      await expect(wrapped({ baseMs: 1 })(once.request, {})).rejects.toThrow(`HTTP ${status}`);
      expect(once.calls()).toBe(1);
    }
  });
});
