import type { StatKey } from "./digest-cache-file.js";

const FIELDS = 6;

/**
 * The stat data of files waiting to be hashed, packed in one Float64Array instead of kept as Stats
 * objects: 20k Stats (with their Dates) outlive several scavenges while the files are read, and
 * copying them cost the main thread more than the stat calls.
 */
export class StatKeys {
  private data = new Float64Array(FIELDS * 1024);
  private count = 0;

  push(stat: StatKey & { mode: number }): void {
    if ((this.count + 1) * FIELDS > this.data.length) {
      const grown = new Float64Array(this.data.length * 2);
      grown.set(this.data);
      this.data = grown;
    }
    const at = this.count++ * FIELDS;
    const { data } = this;
    data[at] = stat.size;
    data[at + 1] = stat.mtimeMs;
    data[at + 2] = stat.ctimeMs;
    data[at + 3] = stat.ino;
    data[at + 4] = stat.dev;
    data[at + 5] = stat.mode;
  }

  size(index: number): number {
    return this.data[index * FIELDS]!;
  }

  get(index: number): StatKey & { mode: number } {
    const at = index * FIELDS;
    const d = this.data;
    return {
      size: d[at]!,
      mtimeMs: d[at + 1]!,
      ctimeMs: d[at + 2]!,
      ino: d[at + 3]!,
      dev: d[at + 4]!,
      mode: d[at + 5]!,
    };
  }
}
