import { ANSI_ESCAPE, CONTROL_CHARS, resolveCarriageReturns } from "../report/ansi.js";
import { type Html, html, joinHtml } from "./html.js";

/**
 * ANSI SGR (colours, bold, dim, italic, underline) to HTML spans with classes. Styles are classes, not
 * inline `style=`, so the page's Content-Security-Policy needs no 'unsafe-inline'. 256-colour and
 * truecolour codes map to the nearest of the 16 basic colours; every other escape sequence is dropped.
 */

interface SgrState {
  fg: number | null;
  bg: number | null;
  bold: boolean;
  dim: boolean;
  italic: boolean;
  underline: boolean;
}

const PLAIN: SgrState = { fg: null, bg: null, bold: false, dim: false, italic: false, underline: false };

// biome-ignore format: a palette reads best as a table
const BASIC_RGB: readonly [number, number, number][] = [
  [0, 0, 0], [205, 49, 49], [13, 188, 121], [229, 229, 16], [36, 114, 200], [188, 63, 188], [17, 168, 205], [229, 229, 229],
  [102, 102, 102], [241, 76, 76], [35, 209, 139], [245, 245, 67], [59, 142, 234], [214, 112, 214], [41, 184, 219], [255, 255, 255],
];

function nearestBasic(r: number, g: number, b: number): number {
  let best = 0;
  let bestDistance = Number.POSITIVE_INFINITY;
  BASIC_RGB.forEach(([br, bg, bb], index) => {
    const distance = (r - br) ** 2 + (g - bg) ** 2 + (b - bb) ** 2;
    if (distance < bestDistance) [best, bestDistance] = [index, distance];
  });
  return best;
}

function from256(n: number): number {
  if (n < 16) return n;
  if (n >= 232) return nearestBasic(8 + (n - 232) * 10, 8 + (n - 232) * 10, 8 + (n - 232) * 10);
  const c = n - 16;
  const level = (v: number) => (v === 0 ? 0 : 55 + v * 40);
  return nearestBasic(level(Math.floor(c / 36)), level(Math.floor(c / 6) % 6), level(c % 6));
}

/** Apply one SGR parameter list; returns the new state (extended colours consume following params). */
function applySgr(state: SgrState, params: string): SgrState {
  const next = { ...state };
  const codes = params === "" ? [0] : params.split(/[;:]/).map((p) => (p === "" ? 0 : Number(p)));
  for (let i = 0; i < codes.length; i++) {
    const code = codes[i]!;
    if (code === 0) Object.assign(next, PLAIN);
    else if (code === 1) next.bold = true;
    else if (code === 2) next.dim = true;
    else if (code === 3) next.italic = true;
    else if (code === 4) next.underline = true;
    else if (code === 22) [next.bold, next.dim] = [false, false];
    else if (code === 23) next.italic = false;
    else if (code === 24) next.underline = false;
    else if (code >= 30 && code <= 37) next.fg = code - 30;
    else if (code >= 90 && code <= 97) next.fg = code - 90 + 8;
    else if (code === 39) next.fg = null;
    else if (code >= 40 && code <= 47) next.bg = code - 40;
    else if (code >= 100 && code <= 107) next.bg = code - 100 + 8;
    else if (code === 49) next.bg = null;
    else if (code === 38 || code === 48) {
      let colour: number | null = null;
      if (codes[i + 1] === 5) {
        colour = from256((codes[i + 2] ?? 0) & 255);
        i += 2;
      } else if (codes[i + 1] === 2) {
        colour = nearestBasic(codes[i + 2] ?? 0, codes[i + 3] ?? 0, codes[i + 4] ?? 0);
        i += 4;
      }
      if (code === 38) next.fg = colour;
      else next.bg = colour;
    }
  }
  return next;
}

function classesOf(state: SgrState): string {
  const classes: string[] = [];
  if (state.fg !== null) classes.push(`f${state.fg}`);
  if (state.bg !== null) classes.push(`g${state.bg}`);
  if (state.bold) classes.push("b");
  if (state.dim) classes.push("d");
  if (state.italic) classes.push("i");
  if (state.underline) classes.push("u");
  return classes.join(" ");
}

/** Render terminal output as HTML: text escaped, colours as `f0..f15`/`g0..g15` classes. */
export function ansiToHtml(text: string): Html {
  const source = resolveCarriageReturns(text);
  const parts: Html[] = [];
  let state = PLAIN;
  let last = 0;
  const emit = (chunk: string) => {
    const clean = chunk.replace(CONTROL_CHARS, "");
    if (clean === "") return;
    const classes = classesOf(state);
    parts.push(classes === "" ? html`${clean}` : html`<span class="${classes}">${clean}</span>`);
  };
  for (const match of source.matchAll(ANSI_ESCAPE)) {
    emit(source.slice(last, match.index));
    last = match.index + match[0].length;
    if (match[2] === "m") state = applySgr(state, match[1] ?? "");
  }
  emit(source.slice(last));
  return joinHtml(parts);
}
