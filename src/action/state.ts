/** Names of the values the main step saves for the post step (`core.saveState`). */
export const STATE_RUN_ID = "pikaci-run-id";
/** Set when the main step ended normally, so the post step need not look for leftovers. */
export const STATE_FINISHED = "pikaci-finished";
