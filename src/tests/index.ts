export * from "./junit-parse.js";
export * from "./lane-results.js";
export * from "./locate.js";
export * from "./read-reports.js";
