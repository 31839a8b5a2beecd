import { randomBytes } from "node:crypto";
import type { Duplex } from "node:stream";

/**
 * The little of RFC 6455 the Incus exec streams need, over a stream that already did the HTTP
 * upgrade: read binary/text frames (unmasked from the server), answer pings and the close, and
 * write masked frames. Incus sends each chunk of output as one binary message and ends with a close.
 */
export const OPCODE = { continuation: 0, text: 1, binary: 2, close: 8, ping: 9, pong: 10 } as const;

/** One client frame: FIN set, payload masked with a fresh key, as the RFC requires of clients. */
export function encodeFrame(opcode: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const length = payload.length;
  const header =
    length < 126
      ? Buffer.from([0x80 | opcode, 0x80 | length])
      : length < 0x10000
        ? Buffer.from([0x80 | opcode, 0x80 | 126, length >> 8, length & 0xff])
        : Buffer.concat([Buffer.from([0x80 | opcode, 0x80 | 127]), bigLength(length)]);
  const mask = randomBytes(4);
  const masked = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) masked[i] = payload[i]! ^ mask[i & 3]!;
  return Buffer.concat([header, mask, masked]);
}

function bigLength(length: number): Buffer {
  const out = Buffer.alloc(8);
  out.writeBigUInt64BE(BigInt(length));
  return out;
}

export interface Frame {
  opcode: number;
  payload: Buffer;
}

/** Splits a byte stream into frames; keeps an incomplete tail until more bytes come. */
export class FrameReader {
  private buffered: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Frame[] {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    const frames: Frame[] = [];
    for (;;) {
      const frame = this.next();
      if (frame === null) return frames;
      frames.push(frame);
    }
  }

  private next(): Frame | null {
    const b = this.buffered;
    if (b.length < 2) return null;
    const masked = (b[1]! & 0x80) !== 0;
    let length = b[1]! & 0x7f;
    let offset = 2;
    if (length === 126) {
      if (b.length < 4) return null;
      length = b.readUInt16BE(2);
      offset = 4;
    } else if (length === 127) {
      if (b.length < 10) return null;
      length = Number(b.readBigUInt64BE(2));
      offset = 10;
    }
    const maskAt = offset;
    if (masked) offset += 4;
    if (b.length < offset + length) return null;
    const payload = Buffer.from(b.subarray(offset, offset + length));
    if (masked) for (let i = 0; i < length; i++) payload[i] = payload[i]! ^ b[maskAt + (i & 3)]!;
    this.buffered = b.subarray(offset + length);
    return { opcode: b[0]! & 0x0f, payload };
  }
}

/**
 * A connected websocket: `onMessage` gets each data frame's payload; `done` resolves when the peer
 * closes or ends the stream (Incus sometimes just ends it after the last output) and rejects when
 * the stream fails: the ssh transport fails its streams when the connection drops, so a lost
 * connection is never mistaken for the end of the output. Pings are answered; a close is echoed.
 */
export function openWebSocket(stream: Duplex, head: Buffer, onMessage: (data: Buffer) => void) {
  const reader = new FrameReader();
  let closeSent = false;
  const send = (opcode: number, payload?: Buffer) => {
    if (!closeSent && !stream.destroyed) stream.write(encodeFrame(opcode, payload));
    if (opcode === OPCODE.close) closeSent = true;
  };
  const done = new Promise<void>((resolve, reject) => {
    const take = (chunk: Buffer) => {
      for (const frame of reader.push(chunk)) {
        if (frame.opcode === OPCODE.ping) send(OPCODE.pong, frame.payload);
        else if (frame.opcode === OPCODE.close) {
          send(OPCODE.close, frame.payload.subarray(0, 2));
          stream.destroy();
          resolve();
          return;
        } else if (frame.opcode !== OPCODE.pong) onMessage(frame.payload);
      }
    };
    stream.on("data", take);
    // A failed stream emits `error` and no `end` (the ssh transport fails its streams as the
    // connection ends, before ssh2 ends them), so `end` here is the peer's.
    stream.on("end", () => resolve());
    stream.on("close", () => resolve());
    stream.on("error", (error: Error) => reject(error));
    if (head.length > 0) take(head);
  });
  // Callers that never await a socket's end (stdin, control) must not raise an unhandled rejection.
  done.catch(() => {});
  return {
    done,
    sendText: (text: string) => send(OPCODE.text, Buffer.from(text)),
    /** A normal close (1000): for stdin, the guest process then reads EOF. */
    close: () => send(OPCODE.close, Buffer.from([0x03, 0xe8])),
    destroy: () => stream.destroy(),
  };
}

export type WebSocket = ReturnType<typeof openWebSocket>;
