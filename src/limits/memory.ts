const UNITS: readonly [string, number][] = [
  ["GiB", 1024 ** 3],
  ["MiB", 1024 ** 2],
  ["KiB", 1024],
];

/** `512MiB` when the size is a whole number of a binary unit, else plain bytes (both are Incus syntax). */
export function formatMemory(bytes: number): string {
  for (const [unit, size] of UNITS) {
    if (bytes >= size && bytes % size === 0) return `${bytes / size}${unit}`;
  }
  return String(bytes);
}
