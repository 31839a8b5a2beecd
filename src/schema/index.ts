/** The single source of truth for config, records and events. JSON Schemas in schemas/ are generated from here. */
export * from "./byte-size.js";
export * from "./config.js";
export * from "./duration.js";
export * from "./events.js";
export * from "./ids.js";
export * from "./records.js";
export * from "./tests.js";
