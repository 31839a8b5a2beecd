import type { ApplicationFunction, Context, Probot } from "probot";
import {
  onCheckRunRerequested,
  onCheckSuiteRerequested,
  onRequestedAction,
} from "./handlers/check-events.js";
import { onPullRequestClosed } from "./handlers/closed.js";
import type { AppDeps, EventScope } from "./handlers/deps.js";
import { onMergeGroupDestroyed, onMergeGroupRequested } from "./handlers/merge-group.js";
import { onPush } from "./handlers/push.js";
import { planClaimKey, startRun } from "./handlers/start-run.js";
import { cancelSuperseded, concludeAbandoned } from "./handlers/superseded.js";
import { createOctokitPort } from "./octokit-port.js";
import { createLeanPort } from "./rest/port.js";

type RepoContext = Context<
  "pull_request" | "check_run" | "check_suite" | "workflow_run" | "push" | "merge_group"
>;

/**
 * The probot application: each event is unpacked into a narrow object and handed to a handler.
 * An error thrown here reaches probot's error handler, which logs it with the delivery id and
 * answers the delivery 500; the process keeps serving.
 */
export function pikaciApp(deps: AppDeps): ApplicationFunction {
  return (rawApp) => {
    const on = onceOn(rawApp, deps);
    onPullRequestEvents(on, deps);
    onCheckEvents(on, deps);
    onRefEvents(on, deps);
    onWorkflowRunEvents(on, deps);
  };
}

type On = Probot["on"];

function onPullRequestEvents(on: On, deps: AppDeps): void {
  const app = { on };
  app.on(["pull_request.opened", "pull_request.reopened", "pull_request.synchronize"], async (context) => {
    const { pull_request: pr, repository } = context.payload;
    const scope = eventScope(context, deps);
    if (context.payload.action === "synchronize") {
      // Best effort: a failure to cancel the old head must not keep the new head from running.
      await cancelSuperseded(scope, deps, {
        pr: pr.number,
        beforeSha: context.payload.before,
        afterSha: pr.head.sha,
      }).catch((err: unknown) => scope.log.error({ err }, "could not cancel the superseded head's lanes"));
    }
    const fork = pr.head.repo?.full_name !== repository.full_name;
    // Reopening plans the head again on purpose; opened and synchronize plan a head once.
    if (
      context.payload.action !== "reopened" &&
      !(await deps.claims.claim(planClaimKey(repository.full_name, pr.number, pr.head.sha)))
    ) {
      context.log.info(`#${pr.number} at ${pr.head.sha} was already planned (by the reconciler); ignored`);
      return;
    }
    await startRun(scope, deps, {
      pr: { number: pr.number, headSha: pr.head.sha, fork },
      changedFileCount: typeof pr.changed_files === "number" ? pr.changed_files : null,
    });
  });

  app.on("pull_request.closed", async (context) => {
    const { pull_request: pr } = context.payload;
    await onPullRequestClosed(eventScope(context, deps), deps, {
      number: pr.number,
      headSha: pr.head.sha,
      // Anything but a definite "not merged" counts as merged: never cancel what may have landed.
      merged: pr.merged !== false,
    });
  });
}

function onCheckEvents(on: On, deps: AppDeps): void {
  const app = { on };

  app.on("check_run.rerequested", async (context) => {
    await onCheckRunRerequested(eventScope(context, deps), deps, checkRunData(context));
  });

  app.on("check_run.requested_action", async (context) => {
    const identifier = context.payload.requested_action?.identifier ?? "";
    await onRequestedAction(eventScope(context, deps), deps, { ...checkRunData(context), identifier });
  });

  app.on("check_suite.rerequested", async (context) => {
    await onCheckSuiteRerequested(eventScope(context, deps), deps, {
      headSha: context.payload.check_suite.head_sha,
      sender: context.payload.sender.login,
    });
  });
}

/** Pushes and merge groups: runs on a commit rather than a pull request. */
function onRefEvents(on: On, deps: AppDeps): void {
  const app = { on };
  app.on("push", async (context) => {
    const p = context.payload;
    await onPush(eventScope(context, deps), deps, {
      ref: p.ref,
      before: p.before,
      after: p.after,
      created: p.created,
      deleted: p.deleted,
      forced: p.forced,
    });
  });

  app.on("merge_group.checks_requested", async (context) => {
    await onMergeGroupRequested(eventScope(context, deps), deps, mergeGroupData(context.payload.merge_group));
  });

  app.on("merge_group.destroyed", async (context) => {
    await onMergeGroupDestroyed(eventScope(context, deps), deps, {
      ...mergeGroupData(context.payload.merge_group),
      reason: (context.payload as { reason?: string }).reason ?? "destroyed",
    });
  });
}

function mergeGroupData(group: { head_sha: string; base_sha: string; head_ref: string }) {
  return { headSha: group.head_sha, baseSha: group.base_sha, headRef: group.head_ref };
}

function onWorkflowRunEvents(on: On, deps: AppDeps): void {
  const app = { on };

  app.on("workflow_run.completed", async (context) => {
    const run = context.payload.workflow_run;
    await concludeAbandoned(eventScope(context, deps), deps, {
      id: run.id,
      htmlUrl: run.html_url,
      conclusion: run.conclusion ?? null,
    });
    // Idempotent: a redelivery, or a runner sharing the App's state root, stores nothing new.
    const { owner, repo } = context.repo();
    await deps.ingest?.({ octokit: context.octokit, owner, repo, workflowRunId: run.id });
  });
}

/**
 * `app.on`, but each delivery is handled once however many replicas receive it (or GitHub
 * redelivers it after it succeeded): the replica that claims the delivery's GUID handles it. A
 * handler that fails gives the claim back, so a redelivery (the reconciler asks for one) retries.
 */
function onceOn(app: Parameters<ApplicationFunction>[0], deps: AppDeps): Probot["on"] {
  return ((events: Parameters<Probot["on"]>[0], handler: (context: Context) => Promise<void>) =>
    app.on(events, async (context: Context) => {
      const key = `delivery:${context.id}`;
      if (!(await deps.claims.claim(key))) {
        context.log.info(`delivery ${context.id} (${context.name}) was already handled; ignored`);
        return;
      }
      try {
        await handler(context);
      } catch (error) {
        await deps.claims.release(key).catch(() => {});
        throw error;
      }
    })) as Probot["on"];
}

function eventScope(context: RepoContext, deps: AppDeps): EventScope {
  const { repository } = context.payload;
  // Every event the App subscribes to concerns one repository; probot's types allow none for some.
  if (!repository) throw new Error(`a ${context.name} delivery without a repository; ignored`);
  const installationId = (context.payload as { installation?: { id?: number } }).installation?.id;
  const repo = context.repo();
  return {
    port:
      deps.rest && installationId
        ? createLeanPort({
            rest: deps.rest(context.octokit, installationId),
            octokit: context.octokit,
            repo,
            appId: deps.appId,
            ...(repository.node_id ? { repositoryNodeId: repository.node_id } : {}),
          })
        : createOctokitPort(context.octokit, repo, deps.appId),
    log: context.log,
    repository: repository.full_name,
    defaultBranch: repository.default_branch,
  };
}

function checkRunData(context: Context<"check_run">) {
  const run = context.payload.check_run;
  return {
    name: run.name,
    headSha: run.head_sha,
    externalId: run.external_id ?? null,
    appId: run.app?.id ?? null,
    conclusion: run.conclusion ?? null,
    sender: context.payload.sender.login,
  };
}
