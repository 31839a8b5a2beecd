/**
 * What a browser does with `pikaci app register`'s page: load it, submit its form to GitHub (here
 * the stand-in), and follow GitHub's redirect back. `editRedirect` lets a test tamper with it.
 */
export async function clickThroughRegistration(
  pageUrl: string,
  editRedirect: (location: URL) => URL = (u) => u,
): Promise<{ form: { action: string; manifest: Record<string, unknown> }; back: Response }> {
  const page = await (await fetch(pageUrl)).text();
  const action = unescapeHtml(/<form[^>]*action="([^"]+)"/.exec(page)?.[1] ?? "");
  const manifest = JSON.parse(unescapeHtml(/name="manifest" value="([^"]*)"/.exec(page)?.[1] ?? "null"));
  const created = await fetch(action, {
    method: "POST",
    body: new URLSearchParams({ manifest: JSON.stringify(manifest) }),
    redirect: "manual",
  });
  if (created.status !== 302) throw new Error(`the creation form answered ${created.status}`);
  const back = await fetch(editRedirect(new URL(created.headers.get("location")!)));
  return { form: { action, manifest }, back };
}

function unescapeHtml(text: string): string {
  return text.replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code)));
}
