export { loadConfigFile } from "./load.js";
export { parseConfig, sortIssues } from "./parse.js";
export { type ResolvedLane, resolveLane, resolveLanes } from "./resolve.js";
export { closestMatch, editDistance } from "./suggest.js";
