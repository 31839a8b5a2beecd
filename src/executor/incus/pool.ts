import { describeError } from "../../errors/index.js";
import type { InstancePatch } from "../../incus/argv.js";
import type { IncusClient } from "../../incus/client.js";
import { NO_NETWORK } from "./network.js";
import {
  CLAIM_DEVICE,
  claimable,
  memberLabels,
  memberName,
  POOL_PREFIX,
  type PoolKey,
  unclaimedCount,
} from "./warm-pool.js";

export interface WarmPool {
  /**
   * A running member of the image's pool, claimed for one job with `plug` (its config and disks)
   * hot-plugged in the same write; null when the pool has none or `plug` resolves to null (the job
   * then launches cold, or has failed). The member list is read at once; the write waits for
   * `plug`. Whatever the result, a top-up starts in the background.
   */
  claim(
    alias: string,
    instanceType: "container" | "vm",
    plug: Promise<InstancePatch | null>,
  ): Promise<string | null>;
  /** Bring the image's pool up to its size, in the background. */
  fill(alias: string, instanceType: "container" | "vm"): void;
}

/**
 * The warm pool's effects. No daemon: members are plain Incus instances found by label, the claim
 * is an atomic Incus operation, and top-ups run inside whichever pikaci process just took a member
 * (`track` keeps them; the executor awaits them before the process exits).
 */
export function createWarmPool(params: {
  incus: IncusClient;
  size: number;
  project: string;
  storage?: string;
  track: (work: Promise<void>) => void;
  warn: (message: string) => void;
  /**
   * Resolves when no job of this process is still starting (claiming, hot-plugging, launching its
   * guest): each top-up launch waits for it, so launches never compete with a job's start-up.
   */
  quiet?: () => Promise<void>;
}): WarmPool {
  const fingerprints = new Map<string, Promise<string | null>>();
  const keyOf = async (alias: string, instanceType: "container" | "vm"): Promise<PoolKey | null> => {
    let fingerprint = fingerprints.get(alias);
    if (!fingerprint) {
      fingerprint = params.incus.imageFingerprint(alias);
      fingerprints.set(alias, fingerprint);
    }
    const fp = await fingerprint;
    return fp === null ? null : { fingerprint: fp, instanceType, project: params.project };
  };
  const fill = coalescedFill(params, keyOf);
  return {
    async claim(alias, instanceType, plug) {
      try {
        const [key, instances] = await Promise.all([
          keyOf(alias, instanceType),
          params.incus.list(POOL_PREFIX),
        ]);
        if (key === null) return null;
        const candidates = claimable(instances, key);
        const patch = candidates.length > 0 ? await plug : null;
        if (patch === null) return null;
        for (const name of candidates) {
          if (await params.incus.claim(name, CLAIM_DEVICE, patch)) return name;
        }
        return null;
      } finally {
        // After the claim, so the top-up does not count the member just taken.
        fill(alias, instanceType);
      }
    },
    fill,
  };
}

/**
 * One top-up per image at a time in this process; a claim during one asks for another pass, so
 * concurrent jobs do not each launch the members the pool lacks.
 */
function coalescedFill(
  params: Parameters<typeof createWarmPool>[0],
  keyOf: (alias: string, instanceType: "container" | "vm") => Promise<PoolKey | null>,
) {
  const filling = new Map<string, { again: boolean }>();
  return (alias: string, instanceType: "container" | "vm"): void => {
    const id = `${alias}/${instanceType}`;
    const running = filling.get(id);
    if (running) {
      running.again = true;
      return;
    }
    const state = { again: true };
    filling.set(id, state);
    const loop = async () => {
      while (state.again) {
        state.again = false;
        const key = await keyOf(alias, instanceType);
        if (key !== null) await topUp({ ...params, key, alias });
      }
    };
    params.track(
      loop()
        .catch((error: unknown) =>
          params.warn(`warm pool top-up for ${alias} failed: ${describeError(error)}`),
        )
        .finally(() => filling.delete(id)),
    );
  };
}

/** Launch members, one after another, until the pool holds `size` unclaimed ones. */
async function topUp(params: {
  incus: IncusClient;
  size: number;
  storage?: string;
  key: PoolKey;
  alias: string;
  quiet?: () => Promise<void>;
}): Promise<void> {
  const { incus, key } = params;
  await params.quiet?.();
  const have = unclaimedCount(await incus.list(POOL_PREFIX), key);
  for (let i = have; i < params.size; i++) {
    if (i > have) await params.quiet?.();
    const name = memberName(key);
    try {
      await incus.create(
        {
          // By fingerprint: the member holds exactly the image its key names, even if the alias moves.
          image: key.fingerprint,
          name,
          vm: key.instanceType === "vm",
          config: memberLabels(key, params.alias, new Date()),
          devices: [],
          otherDevices: NO_NETWORK.devices,
          ...(params.storage ? { storage: params.storage } : {}),
        },
        { start: true },
      );
    } catch (error) {
      await incus.delete(name).catch(() => {});
      throw error;
    }
  }
}
