/** GitHub Checks API limits. Exceeding any of them is a 422 that can leave a check stuck. */
export const CHECK_OUTPUT_MAX_BYTES = 65_535;
export const CHECK_TITLE_MAX_CHARS = 255;
export const ANNOTATIONS_PER_REQUEST = 50;
export const ANNOTATION_MESSAGE_MAX_BYTES = 64 * 1024 - 1;
export const ANNOTATION_TITLE_MAX_CHARS = 255;
