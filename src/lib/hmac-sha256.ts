/**
 * HMAC-SHA-256 (RFC 2104, FIPS 180-4) of many short values under one key, in plain JavaScript. The
 * key's inner and outer pad blocks are compressed once; a value under 56 bytes then costs two block
 * compressions and no allocation but its hex string. node:crypto's `createHmac` redoes the key setup
 * and builds native objects per value, which made COLUMN_POLICY's `hash` the cost of a policy load
 * (bench/RESULTS.md, worker-policy). test/unit/hmac-sha256.test.ts holds it to node:crypto's output.
 */
import { createHash } from 'node:crypto';

/** FIPS 180-4 §4.2.2: the first 32 bits of the fractional parts of the cube roots of the first 64 primes. */
const K = new Int32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98,
  0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
  0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8,
  0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
  0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819,
  0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
  0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
  0xc67178f2,
]);

/** FIPS 180-4 §5.3.3: the initial hash value. */
const IV = new Int32Array([
  0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
]);

const BLOCK = 64;
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

export class HmacSha256 {
  private readonly inner = IV.slice();
  private readonly outer = IV.slice();
  private readonly state = new Int32Array(8);
  private readonly w = new Int32Array(64);
  private readonly block = new Uint8Array(2 * BLOCK);

  constructor(key: Uint8Array) {
    // RFC 2104 §2: a key longer than the block is hashed first.
    const k = key.length > BLOCK ? createHash('sha256').update(key).digest() : key;
    const pad = new Uint8Array(BLOCK);
    for (let i = 0; i < BLOCK; i++) pad[i] = (k[i] ?? 0) ^ 0x36;
    this.compress(this.inner, pad, 0);
    for (let i = 0; i < BLOCK; i++) pad[i] = (k[i] ?? 0) ^ 0x5c;
    this.compress(this.outer, pad, 0);
  }

  /** HMAC-SHA-256 of `message`, lower-case hex. */
  hex(message: Uint8Array): string {
    const state = this.state;
    const block = this.block;
    state.set(this.inner);
    const n = message.length;
    let off = 0;
    for (; off + BLOCK <= n; off += BLOCK) this.compress(state, message, off);
    // The tail, 0x80, zeros and the bit length of the key block plus the message (§5.1.1).
    const rest = n - off;
    const end = rest + 9 <= BLOCK ? BLOCK : 2 * BLOCK;
    block.fill(0, 0, end);
    for (let i = 0; i < rest; i++) block[i] = message[off + i] as number;
    block[rest] = 0x80;
    writeLength(block, end, BLOCK + n);
    this.compress(state, block, 0);
    if (end > BLOCK) this.compress(state, block, BLOCK);
    // Outer hash over the inner digest: one block.
    block.fill(0, 0, BLOCK);
    for (let i = 0; i < 8; i++) writeWord(block, i * 4, state[i] as number);
    block[32] = 0x80;
    writeLength(block, BLOCK, BLOCK + 32);
    state.set(this.outer);
    this.compress(state, block, 0);
    let out = '';
    for (let i = 0; i < 8; i++) {
      const v = state[i] as number;
      out += HEX[v >>> 24]! + HEX[(v >>> 16) & 255]! + HEX[(v >>> 8) & 255]! + HEX[v & 255]!;
    }
    return out;
  }

  /** FIPS 180-4 §6.2.2: one 64-byte block of `data` at `off` into `state`. */
  private compress(state: Int32Array, data: Uint8Array, off: number): void {
    const w = this.w;
    for (let i = 0; i < 16; i++) {
      const j = off + i * 4;
      w[i] =
        ((data[j] as number) << 24) |
        ((data[j + 1] as number) << 16) |
        ((data[j + 2] as number) << 8) |
        (data[j + 3] as number);
    }
    for (let i = 16; i < 64; i++) {
      const x = w[i - 15] as number;
      const y = w[i - 2] as number;
      const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
      const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
      w[i] = ((w[i - 16] as number) + s0 + (w[i - 7] as number) + s1) | 0;
    }
    let a = state[0] as number;
    let b = state[1] as number;
    let c = state[2] as number;
    let d = state[3] as number;
    let e = state[4] as number;
    let f = state[5] as number;
    let g = state[6] as number;
    let h = state[7] as number;
    for (let i = 0; i < 64; i++) {
      const s1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
      const t1 = (h + s1 + ((e & f) ^ (~e & g)) + (K[i] as number) + (w[i] as number)) | 0;
      const s0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
      const t2 = (s0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
      h = g;
      g = f;
      f = e;
      e = (d + t1) | 0;
      d = c;
      c = b;
      b = a;
      a = (t1 + t2) | 0;
    }
    state[0] = ((state[0] as number) + a) | 0;
    state[1] = ((state[1] as number) + b) | 0;
    state[2] = ((state[2] as number) + c) | 0;
    state[3] = ((state[3] as number) + d) | 0;
    state[4] = ((state[4] as number) + e) | 0;
    state[5] = ((state[5] as number) + f) | 0;
    state[6] = ((state[6] as number) + g) | 0;
    state[7] = ((state[7] as number) + h) | 0;
  }
}

function writeWord(block: Uint8Array, at: number, v: number): void {
  block[at] = v >>> 24;
  block[at + 1] = (v >>> 16) & 255;
  block[at + 2] = (v >>> 8) & 255;
  block[at + 3] = v & 255;
}

/** The message length in bits, big-endian, in the last 8 bytes before `end` (values under 512 MiB). */
function writeLength(block: Uint8Array, end: number, bytes: number): void {
  const bits = bytes * 8;
  writeWord(block, end - 8, Math.floor(bits / 0x1_0000_0000));
  writeWord(block, end - 4, bits >>> 0);
}
