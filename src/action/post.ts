import { runPost } from "./post-run.js";

await runPost();
