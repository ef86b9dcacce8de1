"use strict";
// Seals made in the browser with the agency's own key (docs/seals.md): a bag's seal
// (evx-seal.json) and a receipt statement. The private key is read from a PEM file the person
// chooses and imported into WebCrypto as non-extractable: the page can sign with it, nothing
// can read it back, and it is never sent anywhere. Signatures follow evx's one rule: Ed25519
// over the statement bytes; ECDSA P-256 as ASN.1 DER over SHA-256 of them. Statements are
// RFC 8785 JSON, as evx writes them (members sorted, no spaces; empty optional members left
// out, as evx's own encoder leaves them out).
window.evxSeal = (function () {
  const enc = new TextEncoder();
  const subtle = crypto.subtle;

  const hex = (b) => Array.from(new Uint8Array(b), (x) => x.toString(16).padStart(2, "0")).join("");
  const b64 = (b) => { let s = ""; const u = new Uint8Array(b); for (let i = 0; i < u.length; i += 0x8000) s += String.fromCharCode.apply(null, u.subarray(i, i + 0x8000)); return btoa(s); };

  // canonical is RFC 8785 for what statements hold: strings, booleans, integers, arrays and
  // objects (members sorted by UTF-16 code units, which is JavaScript's own sort).
  function canonical(v) {
    if (v === null || typeof v === "boolean" || typeof v === "string") return JSON.stringify(v);
    if (typeof v === "number") { if (!Number.isSafeInteger(v)) throw new Error("a statement holds only integers"); return String(v); }
    if (Array.isArray(v)) return "[" + v.map(canonical).join(",") + "]";
    return "{" + Object.keys(v).filter((k) => v[k] !== undefined).sort().map((k) => JSON.stringify(k) + ":" + canonical(v[k])).join(",") + "}";
  }

  // timeNow is evx's TimeFormat: UTC with nine digits of fractions.
  const timeNow = () => new Date().toISOString().replace(/\.(\d{3})Z$/, ".$1000000Z");

  // DER, as little as reading a key needs.
  function derLen(n) {
    if (n < 0x80) return [n];
    const b = []; for (; n > 0; n >>= 8) b.unshift(n & 0xff);
    return [0x80 | b.length, ...b];
  }
  const der = (tag, body) => new Uint8Array([tag, ...derLen(body.length), ...body]);
  const concat = (...parts) => { const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0)); let o = 0; for (const p of parts) { out.set(p, o); o += p.length; } return out; };
  const OID_ED25519 = [0x06, 0x03, 0x2b, 0x65, 0x70];
  const OID_EC = [0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
  const OID_P256 = [0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
  const has = (b, pat) => { outer: for (let i = 0; i + pat.length <= b.length; i++) { for (let j = 0; j < pat.length; j++) if (b[i + j] !== pat[j]) continue outer; return true; } return false; };

  // pkcs8 returns the PKCS#8 DER of a PEM private key and its algorithm: "PRIVATE KEY"
  // (Ed25519 or P-256, as openssl genpkey writes) or "EC PRIVATE KEY" (SEC 1, as openssl
  // ecparam -genkey writes), which is wrapped in PKCS#8 for WebCrypto.
  function pkcs8(pem) {
    const m = /-----BEGIN ((?:EC )?PRIVATE KEY)-----([\s\S]*?)-----END \1-----/.exec(pem);
    if (!m) throw new Error("want a PEM PRIVATE KEY or EC PRIVATE KEY (docs/seals.md)");
    let b;
    try { b = Uint8Array.from(atob(m[2].replace(/\s+/g, "")), (c) => c.charCodeAt(0)); } catch (e) { throw new Error("the key file's PEM is not base64"); }
    if (m[1] === "EC PRIVATE KEY") {
      if (!has(b, OID_P256)) throw new Error("only ECDSA P-256 and Ed25519 keys seal");
      b = der(0x30, concat(new Uint8Array([0x02, 0x01, 0x00]), der(0x30, new Uint8Array([...OID_EC, ...OID_P256])), der(0x04, b)));
    }
    if (has(b, OID_ED25519)) return { der: b, alg: { name: "Ed25519" }, kty: "OKP" };
    if (has(b, OID_EC) && has(b, OID_P256)) return { der: b, alg: { name: "ECDSA", namedCurve: "P-256" }, kty: "EC" };
    throw new Error("only ECDSA P-256 and Ed25519 keys seal");
  }

  // p1363ToDER turns WebCrypto's r||s into the ASN.1 DER signature evx and openssl use.
  function p1363ToDER(sig) {
    const u = new Uint8Array(sig), n = u.length / 2;
    const int = (x) => { let i = 0; while (i < x.length - 1 && x[i] === 0) i++; x = x.subarray(i); return der(0x02, x[0] & 0x80 ? concat(new Uint8Array([0]), x) : x); };
    return der(0x30, concat(int(u.subarray(0, n)), int(u.subarray(n))));
  }

  // load imports a PEM private key: {keyId, algorithm, sign(bytes)}. The key id is evx's,
  // "sha256:" and the SHA-256 of the public key's PKIX DER; the public key is taken from a
  // first, extractable import that is dropped at once, and the key kept is non-extractable.
  async function load(pemText) {
    const k = pkcs8(pemText);
    let pub;
    try {
      const tmp = await subtle.importKey("pkcs8", k.der, k.alg, true, ["sign"]);
      const jwk = await subtle.exportKey("jwk", tmp);
      const pj = k.kty === "OKP" ? { kty: "OKP", crv: "Ed25519", x: jwk.x } : { kty: "EC", crv: "P-256", x: jwk.x, y: jwk.y };
      pub = await subtle.exportKey("spki", await subtle.importKey("jwk", pj, k.alg, true, ["verify"]));
    } catch (e) {
      throw new Error("this browser cannot read the key (" + (e.message || e.name) + ")");
    }
    const key = await subtle.importKey("pkcs8", k.der, k.alg, false, ["sign"]);
    k.der.fill(0);
    const keyId = "sha256:" + hex(await subtle.digest("SHA-256", pub));
    const sign = async (msg) => {
      const s = await subtle.sign(k.kty === "OKP" ? { name: "Ed25519" } : { name: "ECDSA", hash: "SHA-256" }, key, msg);
      return k.kty === "OKP" ? new Uint8Array(s) : p1363ToDER(s);
    };
    return { keyId, algorithm: k.kty === "OKP" ? "ed25519" : "ecdsa-p256", sign, extractable: key.extractable };
  }

  // statement signs st (its format and key_id filled in) and returns {statement, signature,
  // key_id}, base64, as the API takes them.
  async function statement(key, st) {
    st.key_id = key.keyId;
    const bytes = enc.encode(canonical(st));
    return { statement: b64(bytes), signature: b64(await key.sign(bytes)), key_id: key.keyId };
  }

  // receipt seals a counterpart's answer: {agency, person, delivery, bundle, outcome,
  // documents: [{name, sha256, outcome, reason}], reason_codes, note}.
  function receipt(key, a) {
    const st = { format: "evx-receipt-statement/1", agency: a.agency, person: a.person, delivery: a.delivery, bundle: a.bundle,
      outcome: a.outcome, documents: a.documents.map((d) => ({ name: d.name, sha256: d.sha256 || "", outcome: d.outcome, reason: d.reason || undefined })),
      reason_codes: a.reason_codes && a.reason_codes.length ? a.reason_codes : undefined, note: a.note || undefined, time: timeNow() };
    return statement(key, st);
  }

  // bag returns the bytes of evx-seal.json for the tag files tags (name: bytes): the
  // statement covers bag-info.txt and every payload manifest with their SHA-256.
  async function bag(key, agency, person, tags) {
    const names = Object.keys(tags).filter((n) => n === "bag-info.txt" || /^manifest-[^/]*\.txt$/.test(n)).sort();
    if (!names.includes("bag-info.txt")) throw new Error("the bag has no bag-info.txt to seal");
    const covers = [];
    for (const n of names) covers.push({ name: n, sha256: hex(await subtle.digest("SHA-256", tags[n])) });
    const s = await statement(key, { format: "evx-bag-seal/1", agency, person, time: timeNow(), covers });
    const file = { format: "evx-bag-seal/1", key_id: s.key_id, statement: s.statement, signature: s.signature };
    return enc.encode(JSON.stringify(file, null, 2) + "\n");
  }

  return { load, receipt, bag, canonical, p1363ToDER };
})();
