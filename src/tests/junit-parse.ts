import sax from "sax";
import type { TestStatus } from "../schema/index.js";

/**
 * A streaming JUnit XML reader on `sax` in strict mode. Reports come from the code under test, so
 * they are hostile input: a DOCTYPE (the door to entity expansion and external entities) is refused
 * outright, input bytes are capped, and every text or attribute kept is cut, so memory stays bounded
 * whatever the file holds.
 */

export interface JunitLimits {
  /** Input bytes read before the report is refused. */
  maxBytes: number;
  /** Characters kept of a failure's text, a message, or a case's system-out. */
  maxTextChars: number;
  /** Characters an attribute value may have before the report is refused. */
  maxAttributeChars: number;
}

export const DEFAULT_JUNIT_LIMITS: JunitLimits = {
  maxBytes: 64 * 1024 * 1024,
  maxTextChars: 8 * 1024,
  maxAttributeChars: 64 * 1024,
};

/** One `<testcase>` as the report wrote it (file/line are still the tool's, not yet repository paths). */
export interface RawTestCase {
  suite: string;
  name: string;
  classname: string | null;
  status: TestStatus;
  durationMs: number | null;
  file: string | null;
  line: number | null;
  message: string | null;
  details: string | null;
  systemOut: string | null;
}

export class JunitRefusedError extends Error {
  override readonly name = "JunitRefusedError";
}

interface OpenCase {
  raw: RawTestCase;
  /** The element whose text is being collected (`failure`, `error`, `skipped`, `system-out`). */
  collecting: "details" | "systemOut" | null;
}

/** Feeds chunks to sax; `end()` flushes. Each finished case goes to `onCase` and is then forgotten. */
export function createJunitReader(params: {
  onCase: (testCase: RawTestCase) => void;
  limits?: Partial<JunitLimits>;
}): { write(chunk: string): void; end(): void } {
  const limits = { ...DEFAULT_JUNIT_LIMITS, ...params.limits };
  const parser = sax.parser(true, { trim: false, normalize: false, position: false });
  const state: ReaderState = { suites: [], open: null, sawRoot: false };
  const guardInput = createInputGuard(limits);

  parser.ondoctype = () => {
    throw new JunitRefusedError(
      "the report has a DOCTYPE; JUnit reports never need one (entities are refused)",
    );
  };
  parser.onopentag = (tag) => openTag(state, tag, limits);
  const onText = (text: string) => collectText(state.open, text, limits.maxTextChars);
  parser.ontext = onText;
  parser.oncdata = onText;
  parser.onclosetag = (name) => closeTag(state, name, params.onCase);
  parser.onerror = (error) => {
    throw error instanceof JunitRefusedError
      ? error
      : new JunitRefusedError(`malformed XML: ${firstLine(error.message)}`);
  };

  return {
    write(chunk: string) {
      guardInput(chunk);
      parser.write(chunk);
      const pending = (parser as unknown as { attribValue?: string }).attribValue;
      if (pending && pending.length > limits.maxAttributeChars) {
        throw new JunitRefusedError(`an attribute is longer than ${limits.maxAttributeChars} characters`);
      }
    },
    end() {
      parser.close();
      if (!state.sawRoot) throw new JunitRefusedError("the report has no XML elements");
    },
  };
}

interface ReaderState {
  /** Names of the enclosing `<testsuite>`s, innermost last. */
  suites: string[];
  open: OpenCase | null;
  sawRoot: boolean;
}

/** Counts input bytes and refuses declarations before sax buffers them. */
function createInputGuard(limits: JunitLimits): (chunk: string) => void {
  let bytes = 0;
  // The tail of the previous chunk, so a declaration split across two chunks is still seen.
  let carry = "";
  return (chunk) => {
    bytes += Buffer.byteLength(chunk);
    if (bytes > limits.maxBytes) {
      throw new JunitRefusedError(
        `the report is larger than ${limits.maxBytes} bytes; it was not read further`,
      );
    }
    const window = carry + chunk;
    if (/<!(DOCTYPE|ENTITY)/i.test(window)) {
      throw new JunitRefusedError("the report has a DOCTYPE or ENTITY declaration; entities are refused");
    }
    carry = window.slice(-9);
  };
}

function openTag(state: ReaderState, tag: sax.Tag | sax.QualifiedTag, limits: JunitLimits): void {
  state.sawRoot = true;
  const attrs = tag.attributes as Record<string, string>;
  switch (tag.name) {
    case "testsuite":
      state.suites.push(attrs.name ?? "");
      return;
    case "testcase":
      state.open = { raw: newCase(attrs, state.suites), collecting: null };
      return;
  }
  if (state.open) openCaseChild(state.open, tag.name, attrs, limits);
}

/** A `<failure>`, `<error>`, `<skipped>` or `<system-out>` inside the open case. */
function openCaseChild(
  open: OpenCase,
  name: string,
  attrs: Record<string, string>,
  limits: JunitLimits,
): void {
  const raw = open.raw;
  if (name === "failure" || name === "error") {
    // A case with both keeps the first verdict; an error is worse than a failure.
    if (raw.status !== "error") raw.status = name === "error" ? "error" : "failed";
    raw.message ??= cut(attrs.message ?? null, limits.maxTextChars);
    open.collecting = "details";
  } else if (name === "skipped") {
    if (raw.status === "passed") raw.status = "skipped";
    raw.message ??= cut(attrs.message ?? null, limits.maxTextChars);
    open.collecting = "details";
  } else if (name === "system-out") {
    open.collecting = "systemOut";
  }
}

function collectText(open: OpenCase | null, text: string, maxChars: number): void {
  if (!open?.collecting) return;
  const key = open.collecting;
  const before = open.raw[key] ?? "";
  if (before.length >= maxChars) return;
  open.raw[key] = before + text.slice(0, maxChars - before.length);
}

function closeTag(state: ReaderState, name: string, onCase: (testCase: RawTestCase) => void): void {
  if (name === "testsuite") state.suites.pop();
  else if (name === "testcase" && state.open) {
    onCase(finish(state.open.raw));
    state.open = null;
  } else if (state.open && ["failure", "error", "skipped", "system-out"].includes(name)) {
    state.open.collecting = null;
  }
}

function newCase(attrs: Record<string, string>, suites: readonly string[]): RawTestCase {
  const classname = attrs.classname ?? attrs.class ?? null;
  return {
    suite: suites.findLast((name) => name !== "") ?? classname ?? "",
    name: attrs.name ?? "(unnamed)",
    classname,
    status: "passed",
    durationMs: seconds(attrs.time),
    file: attrs.file ?? attrs.filepath ?? null,
    line: positiveInt(attrs.line ?? attrs.lineno),
    message: null,
    details: null,
    systemOut: null,
  };
}

function finish(raw: RawTestCase): RawTestCase {
  const details = raw.details?.trim() || null;
  const message = raw.message?.trim() || (details ? firstLine(details) : null);
  return { ...raw, details, message, systemOut: raw.systemOut?.trim() || null };
}

/** `time` is seconds; some tools write thousands separators ("1,234.5"). */
function seconds(value: string | undefined): number | null {
  if (value === undefined) return null;
  const n = Number(value.replaceAll(",", ""));
  return Number.isFinite(n) && n >= 0 ? Math.round(n * 1000 * 1000) / 1000 : null;
}

function positiveInt(value: string | undefined): number | null {
  if (value === undefined || !/^\d+$/.test(value)) return null;
  const n = Number(value);
  return n > 0 && Number.isSafeInteger(n) ? n : null;
}

function cut(value: string | null, max: number): string | null {
  return value === null ? null : value.slice(0, max);
}

function firstLine(text: string): string {
  return text.trim().split("\n", 1)[0] ?? "";
}
