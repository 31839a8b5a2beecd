import { isMap, isScalar, isSeq, LineCounter, parseDocument } from "yaml";

/**
 * The 1-based line of each lane's `id:` in `.github/pikaci.yml`, so a notice can sit on it.
 * Pure: takes the file's text. Lanes it cannot place are absent (callers fall back to line 1).
 */
export function laneLines(yamlText: string): Map<string, number> {
  const lineCounter = new LineCounter();
  const doc = parseDocument(yamlText, { lineCounter });
  const lines = new Map<string, number>();
  const root = doc.contents;
  if (!isMap(root)) return lines;
  const lanes = root.get("lanes", true);
  if (!isSeq(lanes)) return lines;
  for (const item of lanes.items) {
    if (!isMap(item)) continue;
    const pair = item.items.find((p) => isScalar(p.key) && p.key.value === "id");
    if (!pair || !isScalar(pair.value) || typeof pair.value.value !== "string") continue;
    const offset = (isScalar(pair.key) ? pair.key.range?.[0] : undefined) ?? pair.value.range?.[0];
    if (offset === undefined) continue;
    lines.set(pair.value.value, lineCounter.linePos(offset).line);
  }
  return lines;
}
