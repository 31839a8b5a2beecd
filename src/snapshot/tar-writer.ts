/**
 * A minimal POSIX tar (ustar + pax) writer. tar-stream spends ~80 us per entry in stream machinery;
 * assembling a 20k-path tree is almost only headers, so we encode them directly.
 */
export type TarType = "file" | "link" | "symlink" | "directory";

export interface TarHeader {
  name: string;
  type: TarType;
  mode: number;
  size?: number;
  linkname?: string;
  mtime: number;
}

const TYPE_FLAG: Record<TarType | "pax", string> = {
  file: "0",
  link: "1",
  symlink: "2",
  directory: "5",
  pax: "x",
};
const MAX_OCTAL_SIZE = 0o77777777777;
export const TAR_END = Buffer.alloc(1024);

/** The header block(s) for one entry: a pax extension first when a name, link or size does not fit ustar. */
export function tarHeader(header: TarHeader): Buffer {
  const size = header.type === "file" ? (header.size ?? 0) : 0;
  const pax: string[] = [];
  const split = splitName(header.name);
  if (split === null) pax.push(paxRecord("path", header.name));
  const linkname = header.linkname ?? "";
  if (Buffer.byteLength(linkname) > 100) pax.push(paxRecord("linkpath", linkname));
  if (size > MAX_OCTAL_SIZE) pax.push(paxRecord("size", String(size)));
  const block = ustar({
    name: split?.name ?? "pax-long-name",
    prefix: split?.prefix ?? "",
    flag: TYPE_FLAG[header.type],
    mode: header.mode,
    size: Math.min(size, MAX_OCTAL_SIZE),
    mtime: header.mtime,
    linkname: Buffer.byteLength(linkname) > 100 ? "" : linkname,
  });
  if (pax.length === 0) return block;
  const body = Buffer.from(pax.join(""), "utf8");
  const paxHead = ustar({
    name: "PaxHeader",
    prefix: "",
    flag: TYPE_FLAG.pax,
    mode: 0o644,
    size: body.length,
    mtime: header.mtime,
    linkname: "",
  });
  return Buffer.concat([paxHead, body, tarPadding(body.length), block]);
}

export function tarPadding(size: number): Buffer {
  const rest = size % 512;
  return rest === 0 ? Buffer.alloc(0) : Buffer.alloc(512 - rest);
}

/** `len path=value\n`, where len counts the whole record including its own digits. */
function paxRecord(key: string, value: string): string {
  const payload = ` ${key}=${value}\n`;
  const bytes = Buffer.byteLength(payload);
  let length = bytes + String(bytes).length;
  if (String(length).length !== String(bytes).length) length = bytes + String(length).length;
  return `${length}${payload}`;
}

function splitName(name: string): { name: string; prefix: string } | null {
  const bytes = Buffer.byteLength(name);
  if (bytes <= 100) return { name, prefix: "" };
  if (bytes > 256) return null;
  // ustar joins prefix + "/" + name; split at a slash so both halves fit.
  for (let i = name.indexOf("/"); i !== -1; i = name.indexOf("/", i + 1)) {
    const prefix = name.slice(0, i);
    const rest = name.slice(i + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(rest) <= 100 && rest !== "")
      return { name: rest, prefix };
  }
  return null;
}

function ustar(f: {
  name: string;
  prefix: string;
  flag: string;
  mode: number;
  size: number;
  mtime: number;
  linkname: string;
}): Buffer {
  const block = Buffer.alloc(512);
  block.write(f.name, 0, 100, "utf8");
  block.write(octal(f.mode, 7), 100, "ascii");
  block.write(octal(0, 7), 108, "ascii");
  block.write(octal(0, 7), 116, "ascii");
  block.write(octal(f.size, 11), 124, "ascii");
  block.write(octal(Math.floor(f.mtime / 1000), 11), 136, "ascii");
  block.write(f.flag, 156, "ascii");
  block.write(f.linkname, 157, 100, "utf8");
  block.write("ustar\u000000", 257, "ascii");
  block.write(f.prefix, 345, 155, "utf8");
  block.fill(" ", 148, 156);
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148, "ascii");
  return block;
}

function octal(value: number, width: number): string {
  return `${value.toString(8).padStart(width, "0")}\0`;
}
