import { type Document, isMap, isScalar, isSeq, type LineCounter, type Node } from "yaml";

export interface Position {
  line: number;
  col: number;
}

/** The nodes a path leads to in the YAML document: the key (when the last step is a map key) and the value. */
export interface Located {
  key: Node | undefined;
  value: Node | undefined;
  /** How many path segments resolved; less than the path length when the key is absent. */
  depth: number;
  /** The deepest node reached, for pointing at a missing key's parent. */
  deepest: Node | undefined;
}

/** Walk `path` (as zod reports it) through the document, stopping where the document ends. */
export function locate(doc: Document, path: readonly PropertyKey[]): Located {
  let current: Node | undefined = (doc.contents as Node | null) ?? undefined;
  let key: Node | undefined;
  let depth = 0;
  for (const segment of path) {
    if (isMap(current)) {
      const pair = current.items.find(
        (item) => isScalar(item.key) && String(item.key.value) === String(segment),
      );
      if (!pair) break;
      key = pair.key as Node;
      current = (pair.value as Node | null) ?? undefined;
    } else if (isSeq(current) && typeof segment === "number") {
      const item = current.items[segment] as Node | undefined;
      if (!item) break;
      key = undefined;
      current = item;
    } else {
      break;
    }
    depth++;
  }
  const complete = depth === path.length;
  return {
    key: complete ? key : undefined,
    value: complete ? current : undefined,
    depth,
    deepest: current,
  };
}

/** The key node of `name` inside the map at `path`, for issues that belong to a key rather than a value. */
export function locateKey(doc: Document, path: readonly PropertyKey[], name: string): Node | undefined {
  const { value } = locate(doc, path);
  if (!isMap(value)) return undefined;
  const pair = value.items.find((item) => isScalar(item.key) && String(item.key.value) === name);
  return (pair?.key as Node | undefined) ?? undefined;
}

export function positionOf(node: Node | undefined, lineCounter: LineCounter): Position {
  const offset = node?.range?.[0] ?? 0;
  return lineCounter.linePos(offset);
}
