import { describeError } from "../../errors/index.js";
import { type HostLoad, type LaneNeeds, type Placement, placeLane } from "../../placement/place.js";
import type { HostRecord } from "../../schema/index.js";
import type { HostMember } from "./members.js";

interface HostState {
  member: HostMember;
  placed: number;
  live: number;
  used: boolean;
  lost: string | null;
}

/**
 * The run's hosts and what it placed on them: the state `placeLane` reads. Waiters are woken when
 * a slot frees up or a host is lost; while they wait, live counts are re-read now and then, since
 * other runs' jobs finish too.
 */
export class HostPool {
  private readonly hosts: HostState[];
  private readonly waiters = new Set<() => void>();
  private reprobing: Promise<void> | null = null;

  constructor(
    members: readonly HostMember[],
    private readonly reprobeMs: number,
  ) {
    this.hosts = members.map((member) => ({
      member,
      placed: 0,
      live: member.liveAtStart ?? 0,
      used: false,
      lost: null,
    }));
  }

  loads(): HostLoad[] {
    return this.hosts.map((h) => ({
      id: h.member.id,
      labels: h.member.labels,
      capacity: h.member.capacity,
      placed: h.placed,
      live: h.live,
      alive: h.member.executor !== null && h.lost === null,
      down: h.member.skipped ?? h.lost,
    }));
  }

  /** Places the lane, waiting while every candidate is full; resolves null when aborted. */
  async acquire(
    lane: LaneNeeds,
    job: { signal: AbortSignal; onWait: () => void },
  ): Promise<Exclude<Placement, { kind: "wait" }> | null> {
    for (let waited = false; ; waited = true) {
      if (job.signal.aborted) return null;
      const placement = placeLane(this.loads(), lane);
      if (placement.kind !== "wait") {
        if (placement.kind === "place") this.take(placement.host);
        return placement;
      }
      if (!waited) job.onWait();
      if (await this.waitForChange(job.signal)) this.reprobe();
    }
  }

  member(id: string): HostMember {
    return this.state(id).member;
  }

  release(id: string): void {
    this.state(id).placed -= 1;
    this.wake();
  }

  /** After an infrastructure failure: a host that no longer answers is out for the rest of the run. */
  async checkAlive(id: string): Promise<string | null> {
    const host = this.state(id);
    if (host.lost !== null) return host.lost;
    try {
      host.live = await host.member.probe();
      return null;
    } catch (error) {
      host.lost ??= describeError(error);
      this.wake();
      return host.lost;
    }
  }

  records(): HostRecord[] {
    return this.hosts.map((h) => ({
      url: h.member.id,
      status: h.member.skipped !== null ? "skipped" : h.lost !== null ? "lost" : h.used ? "used" : "unused",
      reason: h.member.skipped ?? h.lost,
      capacity: h.member.capacity,
      labels: [...h.member.labels],
      live_at_start: h.member.liveAtStart,
    }));
  }

  capacity(): number {
    return this.hosts
      .filter((h) => h.member.executor !== null)
      .reduce((sum, h) => sum + h.member.capacity, 0);
  }

  private take(id: string): void {
    const host = this.state(id);
    host.placed += 1;
    host.used = true;
  }

  private state(id: string): HostState {
    const host = this.hosts.find((h) => h.member.id === id);
    if (!host) throw new Error(`unknown build host ${id}`);
    return host;
  }

  private wake(): void {
    for (const waiter of [...this.waiters]) waiter();
  }

  /** True when it waited out the re-probe interval, false when woken (or aborted). */
  private waitForChange(signal: AbortSignal): Promise<boolean> {
    return new Promise((resolve) => {
      const done = (timedOut: boolean) => {
        clearTimeout(timer);
        this.waiters.delete(woken);
        signal.removeEventListener("abort", woken);
        resolve(timedOut);
      };
      const woken = () => done(false);
      const timer = setTimeout(() => done(true), this.reprobeMs);
      this.waiters.add(woken);
      signal.addEventListener("abort", woken);
    });
  }

  private reprobe(): void {
    this.reprobing ??= Promise.all(
      this.hosts
        .filter((h) => h.live > 0 && h.member.executor !== null && h.lost === null)
        .map(async (h) => {
          h.live = await h.member.probe().catch(() => h.live);
        }),
    ).then(() => {
      this.reprobing = null;
      this.wake();
    });
  }
}
