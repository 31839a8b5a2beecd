import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createThrottle } from "../../../src/action/throttle.js";

describe("createThrottle", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("sends the first request at once and collapses later ones into one per interval", () => {
    const fn = vi.fn();
    const t = createThrottle(fn, 10_000);
    t.request();
    expect(fn).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(1_000);
    t.request();
    vi.advanceTimersByTime(1_000);
    t.request();
    t.request();
    expect(fn).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(7_999);
    expect(fn).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(1);
    expect(fn).toHaveBeenCalledTimes(2);
    vi.advanceTimersByTime(60_000);
    expect(fn).toHaveBeenCalledTimes(2);
  });

  it("counts a send made outside it and drops everything after stop", () => {
    const fn = vi.fn();
    const t = createThrottle(fn, 10_000);
    t.markSent();
    t.request();
    expect(fn).not.toHaveBeenCalled();
    vi.advanceTimersByTime(5_000);
    t.stop();
    vi.advanceTimersByTime(10_000);
    t.request();
    expect(fn).not.toHaveBeenCalled();
  });

  it("never sends more than one call per interval under a steady stream of requests", () => {
    const times: number[] = [];
    const t = createThrottle(() => times.push(Date.now()), 10_000);
    const start = Date.now();
    for (let ms = 0; ms < 60_000; ms += 100) {
      t.request();
      vi.advanceTimersByTime(100);
    }
    expect(times.map((x) => x - start)).toEqual([0, 10_000, 20_000, 30_000, 40_000, 50_000, 60_000]);
  });
});
