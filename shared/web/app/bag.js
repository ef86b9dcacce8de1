"use strict";
// Builds an evidence bundle in the browser: a BagIt 1.0 bag (RFC 8493) in a zip of stored
// members, from files the person chose. Every document's SHA-256 is computed here, in a
// worker (hashworker.js), before anything leaves the machine, so custody starts on the
// uploader's machine in the browser as it does with evx bag create; evx checks the bag's
// manifest against what arrives. The zip is a Blob of the files themselves between headers:
// nothing is copied into memory. Limits: 65,535 members and 4 GiB in all (no ZIP64 here;
// evx bag create has no such limit).
window.evxBag = (function () {
  const enc = new TextEncoder();
  const MAX_ZIP = 0xffffffff, MAX_MEMBERS = 0xffff;

  // A payload path: the file's path below the chosen folder (or its name), forward slashes,
  // no empty, "." or ".." component, no control character.
  function payloadPath(f) {
    const p = (f.webkitRelativePath || f.name).replace(/\\/g, "/");
    const parts = p.split("/").filter((x) => x !== "");
    if (!parts.length || parts.some((x) => x === "." || x === ".." || /[\u0000-\u001f\u007f]/.test(x))) throw new Error("unsafe file name: " + p);
    return "data/" + parts.join("/");
  }
  // Manifest paths percent-encode CR, LF and % (RFC 8493 section 2.1.3).
  const manifestPath = (p) => p.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");

  async function sha256hex(bytes) {
    return Array.from(new Uint8Array(await crypto.subtle.digest("SHA-256", bytes)), (x) => x.toString(16).padStart(2, "0")).join("");
  }
  const CRC = new Uint32Array(256);
  for (let n = 0; n < 256; n++) { let c = n; for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1; CRC[n] = c >>> 0; }
  function crc32(b) { let crc = 0xffffffff; for (let i = 0; i < b.length; i++) crc = CRC[(crc ^ b[i]) & 0xff] ^ (crc >>> 8); return ~crc >>> 0; }

  function hashFiles(files, onProgress, onFile) {
    return new Promise((resolve, reject) => {
      const w = new Worker("/app/hashworker.js");
      w.onmessage = (ev) => {
        if (ev.data.progress !== undefined) { onProgress(ev.data.progress); if (ev.data.file !== undefined) onFile(ev.data.file, ev.data.fileBytes, null); }
        else if (ev.data.hashed !== undefined) onFile(ev.data.hashed, files[ev.data.hashed].size, ev.data.sha256);
        else if (ev.data.done) { w.terminate(); resolve(ev.data.done); }
        else { w.terminate(); reject(new Error(ev.data.error)); }
      };
      w.onerror = (e) => { w.terminate(); reject(new Error(e.message || "hashing failed")); };
      w.postMessage({ files });
    });
  }

  function dosTime(d) {
    return { time: (d.getHours() << 11) | (d.getMinutes() << 5) | (d.getSeconds() >> 1), date: ((d.getFullYear() - 1980) << 9) | ((d.getMonth() + 1) << 5) | d.getDate() };
  }
  function localHeader(name, crc, size, t) {
    const h = new DataView(new ArrayBuffer(30));
    h.setUint32(0, 0x04034b50, true); h.setUint16(4, 20, true); h.setUint16(6, 0x0800, true); h.setUint16(8, 0, true);
    h.setUint16(10, t.time, true); h.setUint16(12, t.date, true); h.setUint32(14, crc, true); h.setUint32(18, size, true); h.setUint32(22, size, true);
    h.setUint16(26, name.length, true); h.setUint16(28, 0, true);
    return [new Uint8Array(h.buffer), name];
  }
  function centralHeader(name, crc, size, offset, t) {
    const h = new DataView(new ArrayBuffer(46));
    h.setUint32(0, 0x02014b50, true); h.setUint16(4, 20, true); h.setUint16(6, 20, true); h.setUint16(8, 0x0800, true); h.setUint16(10, 0, true);
    h.setUint16(12, t.time, true); h.setUint16(14, t.date, true); h.setUint32(16, crc, true); h.setUint32(20, size, true); h.setUint32(24, size, true);
    h.setUint16(28, name.length, true); h.setUint32(42, offset, true);
    return [new Uint8Array(h.buffer), name];
  }

  // build returns {blob, documents: [{name, size, sha256}]} for files and the bag-info fields
  // (an array of [label, value]); onProgress(bytesHashed, totalBytes) for all the files, and
  // onFile(index, bytesHashed, sha256) for each, sha256 null until that file is done. With
  // seal, a function of the tag files (name: bytes) to the bytes of evx-seal.json, the bag is
  // sealed: the seal file follows bag-info.txt and the manifests it covers, and the tag
  // manifest lists it like the others (docs/seals.md).
  async function build(files, fields, onProgress, onFile, seal) {
    files = Array.from(files);
    if (!files.length) throw new Error("choose at least one file");
    const paths = files.map(payloadPath);
    const seen = new Set();
    for (const p of paths) { const k = p.normalize("NFC").toLowerCase(); if (seen.has(k)) throw new Error("two files would be " + p); seen.add(k); }
    const total = files.reduce((n, f) => n + f.size, 0);
    if (files.length + 4 > MAX_MEMBERS) throw new Error("more than " + (MAX_MEMBERS - 4) + " files: use evx bag create");
    const sums = await hashFiles(files, (n) => onProgress && onProgress(n, total), (i, n, sum) => onFile && onFile(i, n, sum));
    const today = new Date().toISOString().slice(0, 10);
    const info = fields.filter(([, v]) => v !== "").map(([k, v]) => k + ": " + v.replace(/[\r\n]+/g, " ")).concat(
      ["Bagging-Date: " + today, "Payload-Oxum: " + total + "." + files.length, "Bag-Software-Agent: evx web"]).join("\n") + "\n";
    const tags = [
      ["bagit.txt", "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"],
      ["bag-info.txt", info],
      ["manifest-sha256.txt", paths.map((p, i) => sums[i].sha256 + "  " + manifestPath(p)).join("\n") + "\n"],
    ].map(([n, s]) => [n, enc.encode(s)]);
    if (seal) tags.push(["evx-seal.json", await seal(Object.fromEntries(tags))]);
    const tagLines = [];
    for (const [n, b] of tags) tagLines.push((await sha256hex(b)) + "  " + n);
    tags.push(["tagmanifest-sha256.txt", enc.encode(tagLines.join("\n") + "\n")]);

    const t = dosTime(new Date());
    const parts = [], central = [];
    let offset = 0;
    const add = (name, crc, size, data) => {
      const nb = enc.encode(name);
      const [lh] = localHeader(nb, crc, size, t);
      central.push(...centralHeader(nb, crc, size, offset, t));
      parts.push(lh, nb, data);
      offset += lh.length + nb.length + size;
      if (offset > MAX_ZIP) throw new Error("the bag would pass 4 GiB: use evx bag create");
    };
    for (const [n, b] of tags) add(n, crc32(b), b.length, b);
    files.forEach((f, i) => add(paths[i], sums[i].crc32, f.size, f));
    const cdSize = central.reduce((n, b) => n + b.length, 0);
    const end = new DataView(new ArrayBuffer(22));
    end.setUint32(0, 0x06054b50, true); end.setUint16(8, tags.length + files.length, true); end.setUint16(10, tags.length + files.length, true);
    end.setUint32(12, cdSize, true); end.setUint32(16, offset, true);
    if (offset + cdSize > MAX_ZIP) throw new Error("the bag would pass 4 GiB: use evx bag create");
    return {
      blob: new Blob([...parts, ...central, new Uint8Array(end.buffer)], { type: "application/zip" }),
      documents: paths.map((p, i) => ({ name: p, size: files[i].size, sha256: sums[i].sha256 })),
    };
  }

  // Resumable sending (docs/uploads.md): a bag larger than one part goes in parts, each with
  // its SHA-256, so that a dropped connection or a closed page costs at most the part that was
  // on the wire. Asking the server for an upload of the same bag again (POST /v1/uploads with
  // its size and SHA-256) finds the one open, with the parts it holds: sending the same bag
  // file again, after a reload too, sends only the parts missing. A bag the server holds
  // already (its bundle id is its SHA-256) is not sent again. Where each part goes the server
  // says (POST /v1/uploads/{id}/parts, a window of parts at a time): evx serve its own
  // /v1/uploads/{id}/parts/{n}, sent with the page's credentials; the api function on AWS a
  // presigned S3 URL, sent with its own headers alone, never the page's token.
  // A bag over wholeMax goes in parts even when it fits in one: the api function on AWS takes
  // at most about 4.4 MiB in a request (Lambda's payload limit).
  const options = { partSize: 16 << 20, wholeMax: 4 << 20, retries: 3, retryMs: 1000, window: 4 };

  function request(method, url, headers, body, onProgress, anonymous) {
    return new Promise((resolve, reject) => {
      const x = new XMLHttpRequest();
      x.open(method, url);
      x.withCredentials = !anonymous && !headers.Authorization;
      for (const [k, v] of Object.entries(headers)) x.setRequestHeader(k, v);
      if (onProgress) x.upload.onprogress = (e) => onProgress(e.loaded, e.total);
      x.onload = () => { let d; try { d = JSON.parse(x.responseText); } catch (e) { d = { error: x.responseText }; } resolve({ status: x.status, data: d }); };
      x.onerror = () => reject(new Error("the connection to evx failed"));
      x.send(body === undefined ? null : body);
    });
  }
  const pause = (ms) => new Promise((r) => setTimeout(r, ms));

  // putPart sends a part to its target: an API path (base + path, the page's headers) or an
  // absolute https URL (the target's headers alone; the browser sets the length).
  function putPart(t, part, base, headers, onProgress) {
    const own = {};
    for (const [k, v] of Object.entries(t.headers || {})) if (!/^(content-length|host|authorization)$/i.test(k)) own[k] = v;
    if (t.url.startsWith("/") && !t.url.startsWith("//")) {
      return request(t.method, base + t.url, Object.assign(own, { "Content-Type": "application/octet-stream" }, headers), part, onProgress);
    }
    if (!/^https:\/\//.test(t.url) && !/^http:\/\/(127\.0\.0\.1|localhost|\[::1\])[:/]/.test(t.url)) return Promise.reject(new Error("a part's target is neither an API path nor an https URL"));
    return request(t.method, t.url, own, part, onProgress, true);
  }

  // sendInParts sends blob to the server at base (the API's origin, "" for this one). It
  // returns the answer of completing the upload (as POST /v1/bundles answers), or null when
  // the server offers no resumable uploads.
  async function sendInParts(blob, base, headers, onProgress, onHash) {
    const [{ sha256: sum }] = await hashFiles([blob], (n) => onHash && onHash(n, blob.size), () => {});
    const held = await request("GET", base + "/v1/bundles/" + sum, headers);
    if (held.status === 200 && held.data.ingest) return held;
    const json = Object.assign({ "Content-Type": "application/json" }, headers);
    const r = await request("POST", base + "/v1/uploads", json, JSON.stringify({ size: blob.size, sha256: sum, part_size: options.partSize }));
    if (r.status === 404 || r.status === 405) return null;
    if (r.status !== 200 && r.status !== 201) return r;
    const up = r.data;
    const have = new Set(up.held.map((p) => p.n));
    const partLen = (n) => Math.min(up.part_size, up.size - (n - 1) * up.part_size);
    const partOf = (n) => blob.slice((n - 1) * up.part_size, (n - 1) * up.part_size + partLen(n));
    const targetsOf = async (sums) => {
      const t = await request("POST", base + "/v1/uploads/" + encodeURIComponent(up.id) + "/parts", json, JSON.stringify({ parts: sums }));
      if (t.status !== 200 || !t.data.parts || t.data.parts.length !== sums.length) return { error: t };
      return { targets: t.data.parts };
    };
    let done = up.held.reduce((t, p) => t + p.size, 0);
    onProgress && onProgress(done, up.size);
    const missing = [];
    for (let n = 1; n <= up.parts; n++) if (!have.has(n)) missing.push(n);
    for (let w = 0; w < missing.length; w += options.window) {
      const win = missing.slice(w, w + options.window);
      const sums = [];
      for (const n of win) sums.push({ n, sha256: await sha256hex(await partOf(n).arrayBuffer()) });
      let ts = await targetsOf(sums);
      if (ts.error) return ts.error;
      for (let i = 0; i < win.length; i++) {
        const n = win[i];
        let t = ts.targets[i];
        for (let attempt = 0; ; attempt++) {
          let res;
          try {
            res = await putPart(t, partOf(n), base, headers, (k) => onProgress && onProgress(done + k, up.size));
          } catch (e) {
            if (attempt >= options.retries) {
              const err = new Error("the connection to evx failed while sending part " + n + " of " + up.parts + ": send the same bag again to go on from there");
              err.code = "partsInterrupted"; err.args = { n, parts: up.parts };
              throw err;
            }
            await pause(options.retryMs << attempt);
            continue;
          }
          if (res.status === 200) break;
          const presigned = !t.url.startsWith("/");
          const expired = presigned && res.status === 403 && Date.parse(t.expires) <= Date.now();
          if ((res.status === 503 || res.status === 408 || presigned && res.status === 500 || expired) && attempt < options.retries) {
            await pause(options.retryMs << attempt);
            if (presigned) { const again = await targetsOf([sums[i]]); if (again.error) return again.error; t = again.targets[0]; }
            continue;
          }
          return res;
        }
        done += partLen(n);
        onProgress && onProgress(done, up.size);
      }
    }
    return request("POST", base + "/v1/uploads/" + encodeURIComponent(up.id) + "/complete", headers);
  }

  // send posts the bag to base's /v1/bundles with the headers that authenticate it (the
  // session's CSRF token, or an access token), reporting upload progress: whole when it is
  // at most 4 MiB and one part, else in parts (sendInParts), hashing it first (onHash).
  async function send(blob, base, headers, onProgress, onHash) {
    if (blob.size > Math.min(options.partSize, options.wholeMax)) {
      const r = await sendInParts(blob, base, headers, onProgress, onHash);
      if (r) return r;
    }
    return request("POST", base + "/v1/bundles", Object.assign({ "Content-Type": "application/zip" }, headers), blob, onProgress);
  }
  return { build, send, payloadPath, options };
})();
