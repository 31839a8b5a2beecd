import { describeError } from "../errors/index.js";

/** The parts of an Octokit RequestError (or any HTTP client error) that say what went wrong. */
interface HttpErrorLike {
  status?: unknown;
  response?: { url?: unknown; data?: unknown };
  request?: { url?: unknown };
}

/**
 * A failed artifact listing or download, for a person: the HTTP status, the host that answered
 * (never the signed query string, which is itself a credential) and what to do. Octokit's own
 * message for a non-JSON error body is "Unknown error", which says none of that.
 */
export function describeHttpFailure(error: unknown, apiUrl?: string): string {
  const e = (error ?? {}) as HttpErrorLike;
  const status = typeof e.status === "number" ? e.status : null;
  if (status === null) return describeError(error);
  const where = safeWhere(e.response?.url ?? e.request?.url);
  const fromApi = where !== null && apiUrl !== undefined && sameOrigin(where.href, apiUrl);
  const detail = detailOf(e.response?.data);
  const what = `HTTP ${status}${where ? ` from ${where.origin}${where.pathname}` : ""}${detail ? `: ${detail}` : ""}`;
  return `${what}\n  hint: ${hintFor(status, fromApi || where === null)}`;
}

function hintFor(status: number, fromApi: boolean): string {
  if (status === 404 || status === 410)
    return "the artifact expired or was deleted; raise the Action's retention-days, then re-run the lanes";
  if (fromApi && (status === 401 || status === 403))
    return "the App needs the actions: read permission on this repository (accept it on the installation)";
  if (!fromApi && status >= 400 && status < 500)
    return "the storage host GitHub redirected to refused the download: its signed URL may have expired, or credentials were sent to it; redeliver the workflow_run delivery from the App's settings (Advanced) to try again";
  return "GitHub or its storage host failed; redeliver the workflow_run delivery from the App's settings (Advanced) to try again";
}

function safeWhere(url: unknown): URL | null {
  if (typeof url !== "string") return null;
  try {
    return new URL(url);
  } catch {
    return null;
  }
}

function sameOrigin(a: string, b: string): boolean {
  return safeWhere(a)?.origin === safeWhere(b)?.origin;
}

/** GitHub's JSON `message`, or the start of a text/XML body (Azure's error code), one line. */
function detailOf(data: unknown): string {
  let text = "";
  if (typeof data === "string") text = data;
  else if (data && typeof data === "object" && typeof (data as { message?: unknown }).message === "string")
    text = (data as { message: string }).message;
  else if (data instanceof ArrayBuffer) text = Buffer.from(data).toString("utf8");
  const code = /<Code>([^<]{1,80})<\/Code>/.exec(text)?.[1];
  return (code ?? text).replace(/\s+/g, " ").trim().slice(0, 200);
}
