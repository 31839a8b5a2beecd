import { PikaciError } from "../errors/index.js";

/** A workflow artifact that is not a well-formed pikaci run: corrupt, hostile, over a limit or off-schema. */
export class InvalidArtifactError extends PikaciError {}
