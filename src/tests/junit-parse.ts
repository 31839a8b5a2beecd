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
  const suites: string[] = [];
  let open: OpenCase | null = null;
  let bytes = 0;
  let carry = "";
  let sawRoot = false;

  parser.ondoctype = () => {
    throw new JunitRefusedError(
      "the report has a DOCTYPE; JUnit reports never need one (entities are refused)",
    );
  };
  parser.onopentag = (tag) => {
    sawRoot = true;
    const attrs = tag.attributes as Record<string, string>;
    switch (tag.name) {
      case "testsuite":
        suites.push(attrs.name ?? "");
        return;
      case "testcase":
        open = { raw: newCase(attrs, suites), collecting: null };
        return;
    }
    if (!open) return;
    const raw: RawTestCase = open.raw;
    if (tag.name === "failure" || tag.name === "error") {
      // A case with both keeps the first verdict; an error is worse than a failure.
      if (raw.status !== "error") raw.status = tag.name === "error" ? "error" : "failed";
      raw.message ??= cut(attrs.message ?? null, limits.maxTextChars);
      open.collecting = "details";
    } else if (tag.name === "skipped") {
      if (raw.status === "passed") raw.status = "skipped";
      raw.message ??= cut(attrs.message ?? null, limits.maxTextChars);
      open.collecting = "details";
    } else if (tag.name === "system-out") {
      open.collecting = "systemOut";
    }
  };
  const onText = (text: string) => {
    if (!open?.collecting) return;
    const key = open.collecting;
    const before = open.raw[key] ?? "";
    if (before.length >= limits.maxTextChars) return;
    open.raw[key] = before + text.slice(0, limits.maxTextChars - before.length);
  };
  parser.ontext = onText;
  parser.oncdata = onText;
  parser.onclosetag = (name) => {
    if (name === "testsuite") suites.pop();
    else if (name === "testcase" && open) {
      params.onCase(finish(open.raw));
      open = null;
    } else if (open && ["failure", "error", "skipped", "system-out"].includes(name)) {
      open.collecting = null;
    }
  };
  parser.onerror = (error) => {
    throw error instanceof JunitRefusedError
      ? error
      : new JunitRefusedError(`malformed XML: ${firstLine(error.message)}`);
  };

  return {
    write(chunk: string) {
      bytes += Buffer.byteLength(chunk);
      if (bytes > limits.maxBytes) {
        throw new JunitRefusedError(
          `the report is larger than ${limits.maxBytes} bytes; it was not read further`,
        );
      }
      // Refuse declarations before sax buffers them; `carry` catches one split across chunks.
      const window = carry + chunk;
      if (/<!(DOCTYPE|ENTITY)/i.test(window)) {
        throw new JunitRefusedError("the report has a DOCTYPE or ENTITY declaration; entities are refused");
      }
      carry = window.slice(-9);
      parser.write(chunk);
      const pending = (parser as unknown as { attribValue?: string }).attribValue;
      if (pending && pending.length > limits.maxAttributeChars) {
        throw new JunitRefusedError(`an attribute is longer than ${limits.maxAttributeChars} characters`);
      }
    },
    end() {
      parser.close();
      if (!sawRoot) throw new JunitRefusedError("the report has no XML elements");
    },
  };
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
