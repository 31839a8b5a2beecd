export { assessHost, type Expectations } from "./assess.js";
export { type GatherParams, gatherHostFacts } from "./gather.js";
export { isHealthy, renderHostCheck, renderHostChecks } from "./render.js";
export * from "./report.js";
