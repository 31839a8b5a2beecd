import { type Html, html } from "./html.js";
import { STYLE_ELEMENT, STYLE_HASH } from "./styles.js";

/**
 * No script at all: toggles are `<details>`, so the policy forbids every script. Styles are admitted
 * by hash only; `img-src data:` leaves room for an inline favicon.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  `style-src ${STYLE_HASH}`,
  "img-src data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

export interface PageShell {
  title: string;
  /** Top bar content after the brand. */
  crumbs?: Html;
  body: Html;
  /** Seconds; a running run refreshes itself without JavaScript. */
  refreshSecs?: number;
}

export function renderPage(page: PageShell): string {
  const refresh = page.refreshSecs ? html`<meta http-equiv="refresh" content="${page.refreshSecs}">` : "";
  return `<!doctype html>\n${html`<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="referrer" content="no-referrer"><meta name="robots" content="noindex, nofollow">${refresh}<title>${page.title}</title><link rel="icon" href="data:,">${STYLE_ELEMENT}</head><body><header class="top"><span class="brand">pikaci</span>${page.crumbs ?? ""}</header><main>${page.body}</main></body></html>`}`;
}

/** A plain page for 400/403/404: says what happened and what to do, echoes nothing from the request. */
export function renderErrorPage(status: number, heading: string, advice: string): string {
  return renderPage({
    title: `${status} ${heading} · pikaci`,
    body: html`<section class="card plain"><h1>${heading}</h1><p>${advice}</p></section>`,
  });
}
