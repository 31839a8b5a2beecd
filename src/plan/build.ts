import { type ResolvedLane, resolveLanes } from "../config/index.js";
import { UsageError } from "../errors/index.js";
import {
  DEFAULT_CONFIG_PATH,
  type ExecutorKind,
  type LaneFilter,
  type PikaciConfig,
  type PlanNode,
  type PlanRecord,
  SCHEMA_VERSION,
} from "../schema/index.js";
import { selectLanes } from "./select.js";

export const PREPARE_NODE_ID = "prepare-snapshot";

export interface BuildPlanOptions {
  configPath?: string;
  /** Only these lanes (unknown ids are a UsageError). They still go through path selection. */
  laneIds?: readonly string[];
  runId?: string | null;
  createdAt?: string | null;
  executor?: ExecutorKind | null;
}

export interface BuiltPlan {
  /** Every considered lane, selected or skipped, with its reason. */
  selection: LaneFilter[];
  plan: PlanRecord;
  /** The selected lanes, resolved, in config order. */
  lanes: ResolvedLane[];
  /** Every lane's timeout, selected or not, so a skipped lane's record is complete too. */
  timeouts: ReadonlyMap<string, number>;
}

/**
 * Config + changed files → which lanes run, and the plan that runs them. Pure: no I/O, and no clock
 * or randomness — the run id and timestamp come from the caller (null for `pikaci plan`).
 */
export function buildRunPlan(
  config: PikaciConfig,
  changedFiles: readonly string[] | null,
  options: BuildPlanOptions = {},
): BuiltPlan {
  const all = resolveLanes(config);
  const considered = options.laneIds ? pickLanes(all, options.laneIds) : all;
  const selection = selectLanes({
    lanes: considered,
    changedFiles,
    configPath: options.configPath ?? DEFAULT_CONFIG_PATH,
  });
  const selectedIds = new Set(selection.filter((s) => s.selected).map((s) => s.lane_id));
  const lanes = considered.filter((lane) => selectedIds.has(lane.id));
  const executor = options.executor ?? null;

  // Nothing to run means nothing to stage: an empty plan, not a prepare node with no dependants.
  const nodes: PlanNode[] =
    lanes.length === 0
      ? []
      : [
          {
            kind: "prepare",
            id: PREPARE_NODE_ID,
            description: "hash and stage the workspace snapshot",
            executor,
          },
          ...lanes.map(
            (lane): PlanNode => ({
              kind: "execute",
              id: `execute-${lane.id}`,
              lane_id: lane.id,
              description: lane.title,
              executor,
              execute: structuredClone(lane.execute),
            }),
          ),
        ];

  return {
    selection,
    plan: {
      schema_version: SCHEMA_VERSION,
      run_id: options.runId ?? null,
      created_at: options.createdAt ?? null,
      changed_files: changedFiles === null ? null : [...changedFiles],
      selection: structuredClone(selection),
      nodes,
    },
    lanes,
    timeouts: new Map(all.map((lane) => [lane.id, lane.execute.timeout_secs])),
  };
}

function pickLanes(all: ResolvedLane[], laneIds: readonly string[]): ResolvedLane[] {
  const known = new Set(all.map((lane) => lane.id));
  const unknown = laneIds.filter((id) => !known.has(id));
  if (unknown.length > 0) {
    throw new UsageError(`unknown lane${unknown.length > 1 ? "s" : ""}: ${unknown.join(", ")}`, {
      hint: `valid lanes: ${all.map((lane) => lane.id).join(", ")}`,
    });
  }
  const wanted = new Set(laneIds);
  return all.filter((lane) => wanted.has(lane.id));
}
