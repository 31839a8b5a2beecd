import { parse } from "yaml";
import { z } from "zod";
import { UsageError } from "../../errors/index.js";

/** The part of app/app.yml a manifest takes (GitHub's "Registering a GitHub App from a manifest"). */
const AppYmlSchema = z.looseObject({
  name: z.string().min(1),
  description: z.string().optional(),
  url: z.string().url(),
  default_events: z.array(z.string()),
  default_permissions: z.record(z.string(), z.enum(["read", "write"])),
  public: z.boolean().default(false),
});

export interface ManifestParams {
  appYml: string;
  /** Where the App will be reachable (PIKACI_PUBLIC_URL): GitHub delivers webhooks below it. */
  publicUrl: string;
  /** Where GitHub sends the browser back with `?code=…&state=…`: the local registration page. */
  redirectUrl: string;
  webhookPath: string;
  /** GitHub App names are unique across GitHub; `pikaci` itself is probably taken. */
  name?: string;
}

/** app/app.yml + where things live → the manifest GitHub's App creation form takes. Pure. */
export function buildManifest(params: ManifestParams): Record<string, unknown> {
  const parsed = AppYmlSchema.safeParse(parse(params.appYml));
  if (!parsed.success) {
    throw new UsageError(`app.yml is not a GitHub App manifest: ${parsed.error.issues[0]?.message}`, {
      hint: "compare it with app/app.yml in the pikaci repository",
    });
  }
  const yml = parsed.data;
  return {
    name: params.name ?? yml.name,
    url: yml.url,
    ...(yml.description ? { description: yml.description } : {}),
    hook_attributes: { url: `${params.publicUrl}${params.webhookPath}`, active: true },
    redirect_url: params.redirectUrl,
    public: yml.public,
    default_events: yml.default_events,
    default_permissions: yml.default_permissions,
  };
}

/** GitHub's App creation form for a user account or an organisation, carrying `state`. */
export function creationFormUrl(params: { githubUrl: string; org?: string; state: string }): string {
  const owner = params.org ? `/organizations/${encodeURIComponent(params.org)}` : "";
  return `${params.githubUrl}${owner}/settings/apps/new?state=${encodeURIComponent(params.state)}`;
}

export const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The local page: one form POSTing the manifest to GitHub, submitted by its button. */
export function registrationPage(params: { formUrl: string; manifest: Record<string, unknown> }): string {
  const name = String(params.manifest.name);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Register ${escapeHtml(name)}</title></head>
<body>
<h1>Register the GitHub App “${escapeHtml(name)}”</h1>
<p>GitHub will show the App's name, permissions and events, and create it when you confirm.
It then sends you back here, and <code>pikaci app register</code> saves its credentials.</p>
<form id="register" method="post" action="${escapeHtml(params.formUrl)}">
<input type="hidden" name="manifest" value="${escapeHtml(JSON.stringify(params.manifest))}">
<button type="submit">Create the App on GitHub</button>
</form>
</body></html>
`;
}
