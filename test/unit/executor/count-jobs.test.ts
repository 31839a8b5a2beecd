import { describe, expect, it } from "vitest";
import { LABEL } from "../../../src/executor/incus/names.js";
import { countJobs } from "../../../src/executor/multi-host/members.js";

const job = (runId: string, owner: string) => ({ config: { [LABEL.runId]: runId, [LABEL.owner]: owner } });
const poolMember = { config: { "user.pikaci.pool": "idle" } };

describe("countJobs (the live probe of a build host)", () => {
  it("counts a matrix sibling's lanes of the same run, but not this process's own", async () => {
    const instances = [job("run-1", "runner-a:10"), job("run-1", "runner-b:20"), job("run-2", "laptop:5")];
    expect(await countJobs(async () => instances, 1000, "runner-a:10")).toBe(2);
  });

  it("leaves warm-pool members out: they hold no run id", async () => {
    expect(await countJobs(async () => [poolMember, job("run-1", "x:1")], 1000, "me:1")).toBe(1);
  });

  it("fails as infrastructure when the host does not answer in time", async () => {
    const never = () => new Promise<never>(() => {});
    await expect(countJobs(never, 20, "me:1")).rejects.toThrow(/did not answer/);
  });
});
