import { randomBytes } from "node:crypto";
import type { InstanceSummary } from "../../incus/list.js";
import { formatSecs, type ReapDecision } from "./gc-plan.js";
import { INSTANCE_PREFIX, LABEL } from "./names.js";

/**
 * The warm pool, pure part (docs/incus-notes.md "Warm pool"): running instances that wait, labelled
 * as members of one key, until a job claims one; the claim is a device added with Incus's ETag check.
 * A member runs exactly one job and is deleted: it is never handed out twice.
 */
export const POOL_PREFIX = `${INSTANCE_PREFIX}pool-`;
/** The device whose atomic addition is the claim (see `claimArgv`). */
export const CLAIM_DEVICE = "pikaci-claim";

const poolLabel = <K extends string>(key: K) => `user.pikaci.pool.${key}` as const;
/** A member's labels; a claimed member also gets the job's (names.ts `LABEL`). */
export const POOL_LABEL = {
  key: poolLabel("key"),
  alias: poolLabel("alias"),
  fingerprint: poolLabel("fingerprint"),
  createdAt: poolLabel("created_at"),
} as const;

/** Members are interchangeable only for the same image bytes, instance type and Incus project. */
export interface PoolKey {
  fingerprint: string;
  instanceType: "container" | "vm";
  project: string;
}

export function poolKeyLabel(key: PoolKey): string {
  return `${key.fingerprint}/${key.instanceType}/${key.project}`;
}

/** `pikaci-pool-<12 hex of the image>-<8 random hex>`; random, so concurrent top-ups never collide. */
export function memberName(key: PoolKey, random: () => string = () => randomBytes(4).toString("hex")) {
  return `${POOL_PREFIX}${key.fingerprint.slice(0, 12)}-${random()}`;
}

export function memberLabels(key: PoolKey, alias: string, createdAt: Date): Record<string, string> {
  return {
    [POOL_LABEL.key]: poolKeyLabel(key),
    [POOL_LABEL.alias]: alias,
    [POOL_LABEL.fingerprint]: key.fingerprint,
    [POOL_LABEL.createdAt]: createdAt.toISOString(),
  };
}

const isClaimed = (instance: InstanceSummary) => instance.devices.includes(CLAIM_DEVICE);
const isMember = (instance: InstanceSummary, key: PoolKey) =>
  instance.name.startsWith(POOL_PREFIX) && instance.config[POOL_LABEL.key] === poolKeyLabel(key);

/** Running, unclaimed members of the key: what a job may try to claim, in a random order. */
export function claimable(
  instances: readonly InstanceSummary[],
  key: PoolKey,
  random: () => number = Math.random,
): string[] {
  const names = instances
    .filter((i) => isMember(i, key) && !isClaimed(i) && i.status === "Running")
    .map((i) => i.name);
  // Shuffled: concurrent jobs that listed the same members then mostly try different ones first.
  for (let i = names.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [names[i], names[j]] = [names[j]!, names[i]!];
  }
  return names;
}

/** Unclaimed members of the key in any state (one being launched counts): what the pool holds. */
export function unclaimedCount(instances: readonly InstanceSummary[], key: PoolKey): number {
  return instances.filter((i) => isMember(i, key) && !isClaimed(i)).length;
}

/**
 * Pure: which unclaimed pool members gc removes: those of an image that is no longer its alias's
 * (or whose alias is gone), and those older than the limit. Claimed members are jobs: `planReap`
 * judges them by their run's heartbeat, or leaves them alone while the claim is being completed.
 */
export function planPoolReap(params: {
  members: readonly InstanceSummary[];
  /** alias → the fingerprint it points at now, null when the alias is gone. */
  currentImages: ReadonlyMap<string, string | null>;
  hostNowSecs: number;
  olderThanSecs: number;
}): ReapDecision[] {
  return params.members.map((member) => {
    const decide = (remove: boolean, reason: string): ReapDecision => ({
      name: member.name,
      runId: null,
      remove,
      reason: `warm pool member: ${reason}`,
    });
    const alias = member.config[POOL_LABEL.alias] ?? "";
    const current = params.currentImages.get(alias) ?? null;
    if (current !== member.config[POOL_LABEL.fingerprint]) {
      return decide(true, current === null ? `image ${alias} is gone` : `image ${alias} has been updated`);
    }
    const created = Date.parse(member.config[POOL_LABEL.createdAt] ?? member.created_at ?? "");
    const ageSecs = Number.isNaN(created) ? null : params.hostNowSecs - Math.floor(created / 1000);
    if (ageSecs !== null && ageSecs > params.olderThanSecs) {
      return decide(true, `older than ${formatSecs(params.olderThanSecs)} (${formatSecs(ageSecs)})`);
    }
    return decide(false, ageSecs === null ? "current image" : `current image, ${formatSecs(ageSecs)} old`);
  });
}

/** Split gc's instance list: unclaimed members (planPoolReap), claimed ones still without job labels (kept). */
export function splitPoolMembers(instances: readonly InstanceSummary[]) {
  const members = instances.filter((i) => i.name.startsWith(POOL_PREFIX));
  return {
    unclaimed: members.filter((i) => !isClaimed(i)),
    claiming: members.filter((i) => isClaimed(i) && i.config[LABEL.runId] === undefined),
    rest: instances.filter((i) => !i.name.startsWith(POOL_PREFIX) || (isClaimed(i) && i.config[LABEL.runId])),
  };
}
