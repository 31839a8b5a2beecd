import picomatch from "picomatch";
import type { PikaciConfig } from "../../../src/schema/index.js";
import type { AppDeps, EventScope } from "./deps.js";
import { startCommitRun } from "./start-run.js";

export interface PushData {
  /** `refs/heads/<branch>` (tags are ignored). */
  ref: string;
  before: string;
  after: string;
  created: boolean;
  deleted: boolean;
  forced: boolean;
}

const NULL_SHA = /^0{40}$/;

/** Does `on.push.branches` list this branch? Workflow-style globs: `*` within a segment, `**` across. */
export function pushRunsOn(config: Pick<PikaciConfig, "on">, branch: string): boolean {
  const patterns = config.on?.push?.branches ?? [];
  return patterns.length > 0 && picomatch(patterns, { dot: true })(branch);
}

/**
 * `push`: with `on: { push: { branches: [...] } }` in the pushed commit's config, the lanes run on
 * the pushed commit, selected by the files changed since `before` (the compare API); a new branch
 * or a force-push has no usable `before`, so every lane runs. The check runs are on that commit.
 */
export async function onPush(scope: EventScope, deps: AppDeps, push: PushData): Promise<void> {
  if (!push.ref.startsWith("refs/heads/") || push.deleted || NULL_SHA.test(push.after)) return;
  const branch = push.ref.slice("refs/heads/".length);
  const wholeCommit = push.created || push.forced || NULL_SHA.test(push.before);
  let runs = false;
  await startCommitRun(scope, deps, {
    target: { number: 0, headSha: push.after, fork: false, event: "push" },
    // Only the default branch's broken config is worth a red check on every push.
    reportInvalidConfig: branch === scope.defaultBranch,
    unlisted: wholeCommit ? "whole-commit" : "push-over-limit",
    changedFiles: async () => {
      if (wholeCommit) return { files: null };
      return scope.port.compareFiles(push.before, push.after);
    },
    shouldRun: (config) => {
      runs = pushRunsOn(config, branch);
      return runs;
    },
  });
  if (!runs) scope.log.debug(`push to ${branch} at ${push.after}: not listed in on.push.branches`);
}
