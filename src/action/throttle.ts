export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/**
 * At most one call of `fn` per `intervalMs`: a request inside the interval is deferred to its end,
 * and any number of requests in between collapse into that one call (which renders the latest state).
 */
export interface Throttle {
  request(): void;
  /** Record a call made outside the throttle (e.g. the `in_progress` update), restarting the interval. */
  markSent(): void;
  /** Drop a pending call and ignore all later requests. */
  stop(): void;
}

export function createThrottle(fn: () => void, intervalMs: number, clock: Clock = systemClock): Throttle {
  let last = Number.NEGATIVE_INFINITY;
  let timer: unknown;
  let stopped = false;
  const fire = () => {
    timer = undefined;
    if (stopped) return;
    last = clock.now();
    fn();
  };
  return {
    request() {
      if (stopped || timer !== undefined) return;
      const wait = last + intervalMs - clock.now();
      if (wait <= 0) fire();
      else timer = clock.setTimeout(fire, wait);
    },
    markSent() {
      last = clock.now();
    },
    stop() {
      stopped = true;
      if (timer !== undefined) clock.clearTimeout(timer);
      timer = undefined;
    },
  };
}
