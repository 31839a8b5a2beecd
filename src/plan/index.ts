export { type BuildPlanOptions, type BuiltPlan, buildRunPlan, PREPARE_NODE_ID } from "./build.js";
export { type SelectParams, selectLanes } from "./select.js";
