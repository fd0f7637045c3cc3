/**
 * The y-websocket message framing, read and written without lib0 (not a dependency here):
 * a message is varUint(type) then, for sync, varUint(step) and varUint8Array(payload); for
 * awareness, varUint8Array(update). varUint is lib0's: 7 bits a byte, low bits first, the high
 * bit set on every byte but the last.
 */
export const MESSAGE_SYNC = 0;
export const MESSAGE_AWARENESS = 1;
export const MESSAGE_QUERY_AWARENESS = 3;
export const SYNC_STEP_1 = 0;
export const SYNC_STEP_2 = 1;
export const SYNC_UPDATE = 2;

export class WireReader {
  private pos = 0;
  constructor(private readonly bytes: Uint8Array) {}

  varUint(): number {
    let value = 0;
    let scale = 1;
    for (;;) {
      if (this.pos >= this.bytes.length) throw new Error('message ends inside a number');
      const byte = this.bytes[this.pos++]!;
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) return value;
      scale *= 128;
      if (value > Number.MAX_SAFE_INTEGER || scale > 2 ** 56) throw new Error('number in message is too large');
    }
  }

  varUint8Array(): Uint8Array {
    const length = this.varUint();
    if (length > this.bytes.length - this.pos) throw new Error('message ends inside a byte string');
    const out = this.bytes.subarray(this.pos, this.pos + length);
    this.pos += length;
    return out;
  }
}

function varUintBytes(value: number): number[] {
  const out: number[] = [];
  while (value > 0x7f) {
    out.push(0x80 | (value & 0x7f));
    value = Math.floor(value / 128);
  }
  out.push(value);
  return out;
}

/** varUints then one length-prefixed byte string: every message the server sends. */
export function writeMessage(head: readonly number[], payload: Uint8Array): Uint8Array {
  const prefix = [...head.flatMap(varUintBytes), ...varUintBytes(payload.length)];
  const out = new Uint8Array(prefix.length + payload.length);
  out.set(prefix, 0);
  out.set(payload, prefix.length);
  return out;
}
