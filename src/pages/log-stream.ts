import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { StringDecoder } from "node:string_decoder";
import { stripAnsi } from "../report/ansi.js";

// A line longer than this is flushed in pieces, so one newline-free log cannot hold the whole file in memory.
const MAX_CARRY = 1024 * 1024;

/** Escape codes are removed line by line; a sequence is never split because lines are cut at `\n`. */
function stripAnsiStream(): Transform {
  const decoder = new StringDecoder("utf8");
  let carry = "";
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      const text = carry + decoder.write(chunk);
      const cut = text.length > MAX_CARRY ? text.length : text.lastIndexOf("\n") + 1;
      carry = text.slice(cut);
      done(null, stripAnsi(text.slice(0, cut)));
    },
    flush(done) {
      done(null, stripAnsi(carry + decoder.end()));
    },
  });
}

/**
 * The full log as plain text, streamed: "show all" on a 500 MB log must not load it into memory.
 * Resolves false (nothing sent) when the log does not exist.
 */
export async function streamPlainLog(
  req: IncomingMessage,
  res: ServerResponse,
  file: string,
  headers: Record<string, string>,
): Promise<boolean> {
  try {
    await stat(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw error;
  }
  res.writeHead(200, { ...headers, "Content-Type": "text/plain; charset=utf-8" });
  if (req.method === "HEAD") {
    res.end();
    return true;
  }
  await pipeline(createReadStream(file), stripAnsiStream(), res);
  return true;
}
