/**
 * HTML built only through the `html` tag. The static parts of a template are the author's markup;
 * every interpolated value is escaped unless it is itself an `Html` made by this tag. `Html` cannot be
 * constructed from a string outside this module, so unescaped output is impossible by construction.
 */

const MINT = Symbol("html");

export class Html {
  readonly #text: string;
  constructor(key: symbol, text: string) {
    if (key !== MINT) throw new TypeError("Html values are made with the html`` tag, never from strings");
    this.#text = text;
  }
  toString(): string {
    return this.#text;
  }
}

export type HtmlValue = Html | string | number | null | undefined | false | readonly HtmlValue[];

const ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};
const ESCAPE_PATTERN = /[&<>"']/g;
const NEEDS_ESCAPE = /[&<>"']/;

export function escapeHtml(text: string): string {
  return NEEDS_ESCAPE.test(text) ? text.replace(ESCAPE_PATTERN, (ch) => ESCAPES[ch]!) : text;
}

/**
 * Where an interpolation sits, decided once per template call site by scanning the static markup:
 * text, a quoted attribute value (a URL when the attribute is href/src and the value starts there),
 * or inside a tag, where only `Html` may go (a string could add an attribute such as onclick=).
 */
type Slot = "text" | "attr" | "url" | "tag";

const slotCache = new WeakMap<TemplateStringsArray, Slot[]>();

function classifySlots(strings: TemplateStringsArray): Slot[] {
  const slots: Slot[] = [];
  let state: "text" | "tag" | "dq" | "sq" = "text";
  let tagName = "";
  let attrName = "";
  let valueStart = true;
  let rawText = false;
  let closing = false;
  for (let i = 0; i < strings.length; i++) {
    const chunk = strings[i]!;
    for (let c = 0; c < chunk.length; c++) {
      const ch = chunk[c]!;
      if (state === "text") {
        if (ch === "<" && /[A-Za-z/!]/.test(chunk[c + 1] ?? "")) {
          state = "tag";
          const open = /^(\/?)([A-Za-z0-9-]*)/.exec(chunk.slice(c + 1))!;
          closing = open[1] === "/";
          tagName = open[2]!.toLowerCase();
          rawText = false;
        }
      } else if (state === "tag") {
        if (ch === ">") {
          state = "text";
          rawText = !closing && (tagName === "script" || tagName === "style");
        } else if (ch === '"' || ch === "'") {
          state = ch === '"' ? "dq" : "sq";
          attrName = /([A-Za-z:-]+)\s*=\s*$/.exec(chunk.slice(0, c))?.[1]?.toLowerCase() ?? "";
          valueStart = true;
        }
      } else if ((state === "dq" && ch === '"') || (state === "sq" && ch === "'")) {
        state = "tag";
      } else {
        valueStart = false;
      }
    }
    if (i === strings.length - 1) break;
    if (state === "text") {
      if (rawText) throw new TypeError("html: no values inside <script> or <style>");
      slots.push("text");
    } else if (state === "tag") {
      if (/=\s*$/.test(chunk))
        throw new TypeError(`html: quote the attribute value before \${} in "${chunk}"`);
      slots.push("tag");
    } else {
      if (attrName.startsWith("on")) throw new TypeError("html: no values in event handlers");
      const isUrl = ["href", "src", "xlink:href", "action", "formaction"].includes(attrName);
      slots.push(isUrl && valueStart ? "url" : "attr");
      valueStart = false;
    }
  }
  return slots;
}

// Relative paths, fragments, queries and http(s) only: a `javascript:` link must never render.
const SAFE_URL = /^(?:https?:\/\/|\/(?!\/)|\.{1,2}\/|[?#]|[A-Za-z0-9_.-]+(?:[/?#]|$))/;

function render(value: HtmlValue, slot: Slot): string {
  if (value instanceof Html) return value.toString();
  if (value === null || value === undefined || value === false || value === "") return "";
  if (slot === "tag" && !Array.isArray(value))
    throw new TypeError("html: only html`` fragments go inside a tag");
  if (typeof value === "string") {
    if (slot === "url" && !SAFE_URL.test(value)) return "#unsafe-url";
    return escapeHtml(value);
  }
  if (typeof value === "number") return String(value);
  if (Array.isArray(value)) {
    let out = "";
    for (const item of value) out += render(item, slot);
    return out;
  }
  throw new TypeError(`html: cannot interpolate a ${typeof value}`);
}

export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): Html {
  // Real template objects are frozen with a frozen `raw`; a hand-made array is an attempt to smuggle markup.
  if (!Object.isFrozen(strings) || !Array.isArray(strings.raw)) throw new TypeError("html is a template tag");
  let slots = slotCache.get(strings);
  if (!slots) {
    slots = classifySlots(strings);
    slotCache.set(strings, slots);
  }
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += render(values[i]!, slots[i]!) + strings[i + 1]!;
  return new Html(MINT, out);
}

/** Join fragments with an optional separator (itself markup written by the author). */
export function joinHtml(parts: readonly Html[], separator: Html = html``): Html {
  return new Html(MINT, parts.map(String).join(separator.toString()));
}
