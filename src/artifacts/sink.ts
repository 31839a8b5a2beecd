import { createWriteStream } from "node:fs";
import { mkdir, rm } from "node:fs/promises";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import type { ArtifactsRecord } from "../schema/index.js";
import type { ArtifactCaps } from "./select.js";

/**
 * Writes collected files under one job's `artifacts/` dir in the state root. The dir is emptied
 * first (a retried attempt starts clean); every name must resolve inside it; new files only.
 */
export class ArtifactSink {
  readonly root: string;
  private readonly caps: ArtifactCaps;
  private readonly record: ArtifactsRecord = { files: [], bytes: 0, warnings: [] };

  private constructor(root: string, caps: ArtifactCaps) {
    this.root = path.resolve(root);
    this.caps = caps;
  }

  static async open(root: string, caps: ArtifactCaps): Promise<ArtifactSink> {
    await rm(root, { recursive: true, force: true });
    await mkdir(root, { recursive: true });
    return new ArtifactSink(root, caps);
  }

  warn(message: string): void {
    if (this.record.warnings.length < 50) this.record.warnings.push(message);
  }

  /** Whether a file of `size` bytes still fits the byte cap; warns when it does not. */
  fits(name: string, size: number): boolean {
    if (this.record.bytes + size <= this.caps.maxBytes) return true;
    this.warn(
      `${name} (${size} bytes) was not collected: it would pass the limit of ${this.caps.maxBytes} bytes of artifacts per lane`,
    );
    return false;
  }

  /** Copy one file in; the stream is cut at `size` bytes, so a file growing meanwhile cannot pass the cap. */
  async add(params: {
    name: string;
    size: number;
    report: boolean;
    content: AsyncIterable<Buffer>;
  }): Promise<void> {
    const target = path.resolve(this.root, params.name);
    if (!target.startsWith(`${this.root}${path.sep}`))
      throw new Error(`artifact name ${params.name} escapes the artifacts dir`);
    await mkdir(path.dirname(target), { recursive: true });
    let written = 0;
    const limit = params.size;
    async function* capped(source: AsyncIterable<Buffer>) {
      for await (const chunk of source) {
        const room = limit - written;
        if (room <= 0) break;
        const piece = chunk.length > room ? chunk.subarray(0, room) : chunk;
        written += piece.length;
        yield piece;
      }
    }
    await pipeline(params.content, capped, createWriteStream(target, { flags: "wx", mode: 0o644 }));
    this.record.files.push({ name: params.name, bytes: written, report: params.report });
    this.record.bytes += written;
  }

  path(name: string): string {
    return path.join(this.root, name);
  }

  result(): ArtifactsRecord {
    return { files: [...this.record.files], bytes: this.record.bytes, warnings: [...this.record.warnings] };
  }
}
