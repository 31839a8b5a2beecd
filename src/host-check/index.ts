export { assessHost, type Expectations } from "./assess.js";
export { type GatherParams, gatherHostFacts } from "./gather.js";
export { isHealthy, renderHostCheck } from "./render.js";
export * from "./report.js";
