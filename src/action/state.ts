import { z } from "zod";

/** Names of the values the main step saves for the post step (`core.saveState`). */
export const STATE_RUN_ID = "pikaci-run-id";
/** Set when the main step ended normally, so the post step need not look for leftovers. */
export const STATE_FINISHED = "pikaci-finished";
/**
 * The build hosts the main step connected to, JSON: with hosts named only by the config's `hosts:`
 * the post step cannot know them from its inputs, and a main step killed mid-run leaves instances there.
 */
export const STATE_HOSTS = "pikaci-hosts";

export const SavedHosts = z.array(z.object({ url: z.string(), project: z.string().optional() }));
export type SavedHosts = z.infer<typeof SavedHosts>;
