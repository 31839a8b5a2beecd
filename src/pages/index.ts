export { ansiToHtml } from "./ansi.js";
export { type CapabilityScope, signRepoUrl, signRunUrl, signScope, verifyScope } from "./capability.js";
export { layoutGantt } from "./gantt-layout.js";
export {
  createRunPagesHandler,
  type RunPagesHandler,
  type RunPagesOptions,
  type RunPagesStore,
} from "./handler.js";
export { escapeHtml, Html, html } from "./html.js";
export { CONTENT_SECURITY_POLICY } from "./layout.js";
export { renderRepoPage } from "./repo-page.js";
export { renderRunPage } from "./run-page.js";
