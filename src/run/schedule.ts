/**
 * Group-aware scheduling: at most `concurrency` tasks at once, and never two tasks of the
 * same `concurrency_group` at the same time. Tasks start in queue order, except that a task
 * whose group is busy is passed over (not blocking the queue) until its group frees up.
 */
export interface Schedulable {
  id: string;
  group: string | null;
}

/** Which queued tasks to start now, given what is running. Pure. */
export function pickRunnable<T extends Schedulable>(
  queued: readonly T[],
  running: readonly Schedulable[],
  concurrency: number,
): T[] {
  const slots = Math.max(0, concurrency - running.length);
  const busy = new Set(running.map((task) => task.group).filter((group) => group !== null));
  const picked: T[] = [];
  for (const task of queued) {
    if (picked.length >= slots) break;
    if (task.group !== null && busy.has(task.group)) continue;
    picked.push(task);
    if (task.group !== null) busy.add(task.group);
  }
  return picked;
}

export interface ScheduleParams<T extends Schedulable> {
  tasks: readonly T[];
  concurrency: number;
  /** Runs one task; must not reject (a rejection is reported through `onError` and the rest go on). */
  run: (task: T) => Promise<void>;
  onError?: (task: T, error: unknown) => void;
  /** Once aborted no new task starts; running ones are left to finish (they watch the same signal). */
  signal?: AbortSignal;
}

/** Runs tasks under `pickRunnable`; resolves when every started task has settled. Returns what never started. */
export async function runScheduled<T extends Schedulable>(params: ScheduleParams<T>): Promise<T[]> {
  const queued = [...params.tasks];
  const running = new Map<string, T>();
  const inFlight = new Set<Promise<void>>();
  let wake: () => void = () => {};

  const startReady = (): void => {
    if (params.signal?.aborted) return;
    for (const task of pickRunnable(queued, [...running.values()], params.concurrency)) {
      queued.splice(queued.indexOf(task), 1);
      running.set(task.id, task);
      const done = Promise.resolve()
        .then(() => params.run(task))
        .catch((error: unknown) => params.onError?.(task, error))
        .finally(() => {
          running.delete(task.id);
          inFlight.delete(done);
          wake();
        });
      inFlight.add(done);
    }
  };

  const onAbort = (): void => wake();
  params.signal?.addEventListener("abort", onAbort);
  try {
    startReady();
    while (inFlight.size > 0) {
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
      startReady();
    }
  } finally {
    params.signal?.removeEventListener("abort", onAbort);
  }
  return queued;
}
