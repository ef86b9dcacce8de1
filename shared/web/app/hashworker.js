"use strict";
// Hashes files for the bag the page builds, off the page's thread so that large files do not
// freeze it: SHA-256 (FIPS 180-4) and the zip's CRC-32, in one streaming pass of 4 MiB slices.
// Messages in: {files: [File]}. Out: {done: [{sha256, crc32}]} or {error} at the end.

const K = new Uint32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2]);

// Streaming SHA-256: update with any number of byte arrays, then digest.
class SHA256 {
  constructor() {
    this.h = new Uint32Array([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);
    this.buf = new Uint8Array(64); this.n = 0; this.len = 0; this.w = new Uint32Array(64);
  }
  block(b, off) {
    const W = this.w, H = this.h;
    const rotr = (x, r) => (x >>> r) | (x << (32 - r));
    for (let t = 0; t < 16; t++) { const i = off + 4 * t; W[t] = (b[i] << 24) | (b[i + 1] << 16) | (b[i + 2] << 8) | b[i + 3]; }
    for (let t = 16; t < 64; t++) {
      const x = W[t - 15], y = W[t - 2];
      W[t] = (W[t - 16] + (rotr(x, 7) ^ rotr(x, 18) ^ (x >>> 3)) + W[t - 7] + (rotr(y, 17) ^ rotr(y, 19) ^ (y >>> 10))) >>> 0;
    }
    let a = H[0], bb = H[1], c = H[2], d = H[3], e = H[4], f = H[5], g = H[6], h = H[7];
    for (let t = 0; t < 64; t++) {
      const t1 = (h + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + K[t] + W[t]) >>> 0;
      const t2 = ((rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & bb) ^ (a & c) ^ (bb & c))) >>> 0;
      h = g; g = f; f = e; e = (d + t1) >>> 0; d = c; c = bb; bb = a; a = (t1 + t2) >>> 0;
    }
    H[0] += a; H[1] += bb; H[2] += c; H[3] += d; H[4] += e; H[5] += f; H[6] += g; H[7] += h;
  }
  update(data) {
    let i = 0; this.len += data.length;
    if (this.n) {
      const take = Math.min(64 - this.n, data.length);
      this.buf.set(data.subarray(0, take), this.n); this.n += take; i = take;
      if (this.n < 64) return;
      this.block(this.buf, 0); this.n = 0;
    }
    for (; i + 64 <= data.length; i += 64) this.block(data, i);
    if (i < data.length) { this.buf.set(data.subarray(i), 0); this.n = data.length - i; }
  }
  digest() {
    const bits = this.len * 8;
    const pad = new Uint8Array(((this.n + 9 + 63) >> 6 << 6) - this.n);
    pad[0] = 0x80;
    const dv = new DataView(pad.buffer);
    dv.setUint32(pad.length - 8, Math.floor(bits / 0x100000000)); dv.setUint32(pad.length - 4, bits >>> 0);
    this.update(pad);
    return Array.from(this.h, (x) => x.toString(16).padStart(8, "0")).join("");
  }
}

const CRC = new Uint32Array(256);
for (let n = 0; n < 256; n++) { let c = n; for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1; CRC[n] = c >>> 0; }
function crc32(crc, b) { crc = ~crc >>> 0; for (let i = 0; i < b.length; i++) crc = CRC[(crc ^ b[i]) & 0xff] ^ (crc >>> 8); return ~crc >>> 0; }

const SLICE = 4 << 20;
// Messages out, besides done and error: {progress: bytes of all files, file: index,
// fileBytes: bytes of that file} now and then, and {hashed: index, sha256} as each file ends.
self.onmessage = async (ev) => {
  try {
    const out = [];
    let done = 0, last = 0;
    for (const [i, f] of ev.data.files.entries()) {
      const h = new SHA256(); let crc = 0;
      for (let off = 0; off < f.size; off += SLICE) {
        const b = new Uint8Array(await f.slice(off, off + SLICE).arrayBuffer());
        h.update(b); crc = crc32(crc, b); done += b.length;
        if (done - last >= SLICE) { self.postMessage({ progress: done, file: i, fileBytes: off + b.length }); last = done; }
      }
      out.push({ sha256: h.digest(), crc32: crc });
      self.postMessage({ hashed: i, sha256: out[i].sha256 });
    }
    self.postMessage({ progress: done });
    self.postMessage({ done: out });
  } catch (e) { self.postMessage({ error: String(e && e.message || e) }); }
};
