import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { encodeFrame, FrameReader, OPCODE, openWebSocket } from "../../../src/incus/api/websocket.js";

/** A server frame (unmasked), as Incus sends them. */
function serverFrame(opcode: number, payload: Buffer): Buffer {
  const n = payload.length;
  const header =
    n < 126
      ? Buffer.from([0x80 | opcode, n])
      : n < 0x10000
        ? Buffer.from([0x80 | opcode, 126, n >> 8, n & 0xff])
        : Buffer.concat([
            Buffer.from([0x80 | opcode, 127]),
            Buffer.from([0, 0, 0, 0, n >>> 24, (n >> 16) & 255, (n >> 8) & 255, n & 255]),
          ]);
  return Buffer.concat([header, payload]);
}

describe("websocket framing", () => {
  it("masks client frames and reads them back, for all three length encodings", () => {
    for (const size of [0, 5, 125, 126, 65535, 70000]) {
      const payload = Buffer.alloc(size, 7);
      const frame = encodeFrame(OPCODE.binary, payload);
      expect(frame[1]! & 0x80).toBe(0x80);
      const frames = new FrameReader().push(frame);
      expect(frames).toHaveLength(1);
      expect(frames[0]!.opcode).toBe(OPCODE.binary);
      expect(frames[0]!.payload.equals(payload)).toBe(true);
    }
  });

  it("keeps a frame split across chunks until it is complete", () => {
    const bytes = Buffer.concat([
      serverFrame(OPCODE.binary, Buffer.from("hello")),
      serverFrame(OPCODE.text, Buffer.alloc(300, 1)),
    ]);
    const reader = new FrameReader();
    const got = [];
    for (let i = 0; i < bytes.length; i += 3) got.push(...reader.push(bytes.subarray(i, i + 3)));
    expect(got.map((f) => [f.opcode, f.payload.length])).toEqual([
      [OPCODE.binary, 5],
      [OPCODE.text, 300],
    ]);
    expect(got[0]!.payload.toString()).toBe("hello");
  });

  it("delivers data, answers a ping, and ends on the peer's close, echoing it", async () => {
    const stream = new PassThrough();
    const sent: Buffer[] = [];
    const write = stream.write.bind(stream);
    stream.write = ((chunk: Buffer) => sent.push(chunk) > 0) as typeof stream.write;
    const got: string[] = [];
    const ws = openWebSocket(stream, serverFrame(OPCODE.binary, Buffer.from("a")), (data) =>
      got.push(data.toString()),
    );
    write(serverFrame(OPCODE.ping, Buffer.from("p")));
    write(serverFrame(OPCODE.binary, Buffer.from("b")));
    write(serverFrame(OPCODE.close, Buffer.from([0x03, 0xe8])));
    await ws.done;
    expect(got).toEqual(["a", "b"]);
    const replies = new FrameReader().push(Buffer.concat(sent));
    expect(replies.map((f) => f.opcode)).toEqual([OPCODE.pong, OPCODE.close]);
    expect(replies[0]!.payload.toString()).toBe("p");
  });
});
