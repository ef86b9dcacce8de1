"use strict";
// evx's pages for the three roles, over the same HTTP API as the command line. The session
// cookie authenticates; the CSRF token of the session goes with every request that changes
// something. Nothing is kept in storage: the token pasted at sign-in is sent once and
// forgotten. Text from the server is always set as text, never as markup.
(function () {
  const S = window.EVX_STRINGS;
  let lang = (navigator.language || "en").slice(0, 2) in S ? (navigator.language || "en").slice(0, 2) : "en";
  let session = null; // {role, subject, counterpart, csrf, expires}; with an identity provider {role, subject, bearer, expires}
  let oidc = null; // /app/config.json when the deployment signs in through an identity provider
  let signInError = "";
  const main = document.getElementById("main");

  function t(key, args) {
    let s = (S[lang] && S[lang][key]) || S.en[key] || key;
    for (const [k, v] of Object.entries(args || {})) s = s.split("{" + k + "}").join(String(v));
    return s;
  }
  function el(tag, attrs, ...kids) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === "text") e.textContent = v;
      else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, v === true ? "" : v);
    }
    for (const c of kids) if (c !== null && c !== undefined) e.append(c);
    return e;
  }
  function translateStatic() {
    document.documentElement.lang = lang;
    for (const n of document.querySelectorAll("[data-s]")) n.textContent = t(n.dataset.s);
    document.getElementById("lang").value = lang;
  }
  // errText is an error's message in the page's language when it has a code of strings.js.
  const errText = (err) => err.code ? t(err.code, err.args) : err.message;
  const human = (n) => n < 1024 ? n + " B" : n < 1 << 20 ? (n / 1024).toFixed(1) + " KiB" : n < 1 << 30 ? (n / 1048576).toFixed(1) + " MiB" : (n / 1073741824).toFixed(2) + " GiB";
  const when = (s) => s ? s.replace("T", " ").replace(/\.\d+Z$/, "").replace(/Z$/, "") : "";

  // auth returns the request options that authenticate: the session cookie and, for a change,
  // its CSRF token; or the identity provider's access token, and no cookie.
  function auth(method) {
    if (session && session.bearer) return { headers: { Authorization: "Bearer " + session.bearer }, credentials: "omit" };
    const headers = {};
    if (method !== "GET" && method !== "HEAD" && session) headers["X-Evx-CSRF"] = session.csrf;
    return { headers, credentials: "same-origin" };
  }
  const apiURL = (path) => ((oidc && oidc.api) || "") + path;
  async function api(method, path, body, raw) {
    const opt = Object.assign({ method }, auth(method));
    if (body !== undefined) {
      if (raw) opt.body = body; else { opt.body = JSON.stringify(body); opt.headers["Content-Type"] = "application/json"; }
    }
    const res = await fetch(apiURL(path), opt);
    if (res.status === 401 && path !== "/v1/session") { session = null; render(); throw new Error("not signed in"); }
    const ct = res.headers.get("Content-Type") || "";
    const data = ct.startsWith("application/json") ? await res.json() : await res.text();
    if (!res.ok && res.status !== 422) throw new Error((data && data.error) || res.status + " " + res.statusText);
    return { status: res.status, data };
  }
  // fileLink is a link to download an API file. With a session cookie the browser fetches it;
  // with an access token the page fetches it with the token and hands the browser the bytes.
  function fileLink(attrs, path, name) {
    const a = el("a", Object.assign({ href: apiURL(path), download: name }, attrs));
    a.addEventListener("click", async (e) => {
      if (!session || !session.bearer) return;
      e.preventDefault();
      try {
        const res = await fetch(apiURL(path), auth("GET"));
        if (!res.ok) throw new Error(res.status + " " + res.statusText);
        const u = URL.createObjectURL(await res.blob());
        const tmp = el("a", { href: u, download: name });
        document.body.append(tmp); tmp.click(); tmp.remove();
        setTimeout(() => URL.revokeObjectURL(u), 60000);
      } catch (err) { alert(t("error", { msg: err.message })); }
    });
    return a;
  }
  function showError(where, err) {
    where.replaceChildren(el("p", { class: "error", role: "alert", text: t("error", { msg: err.message }) }));
  }

  // ---- sign in --------------------------------------------------------------------------
  function signInView() {
    if (oidc) { providerSignInView(); return; }
    const msg = el("p", { role: "alert", class: "error" });
    const tok = el("input", { id: "token", type: "password", autocomplete: "off", required: true });
    const file = el("input", { id: "tokenfile", type: "file" });
    file.addEventListener("change", async () => { if (file.files[0]) tok.value = (await file.files[0].text()).trim(); });
    const form = el("form", { class: "signin", onsubmit: async (e) => {
      e.preventDefault(); msg.textContent = "";
      try {
        const r = await api("POST", "/v1/session", { token: tok.value.trim() });
        tok.value = ""; session = r.data; directory = undefined; render();
      } catch (err) { msg.textContent = t("error", { msg: err.message }); }
    } },
      el("h1", { text: t("signInTitle") }), el("p", { class: "hint", text: t("signInHelp") }),
      el("div", { class: "field" }, el("label", { for: "token", text: t("token") }), tok),
      el("div", { class: "field" }, el("label", { for: "tokenfile", text: t("tokenFile") }), file),
      el("div", { class: "actions" }, el("button", { type: "submit", id: "signin", text: t("signIn") })), msg);
    main.replaceChildren(form);
    tok.focus();
  }

  // With an identity provider: one button per role, each asking for that role's scope.
  function providerSignInView() {
    const msg = el("p", { role: "alert", class: "error", text: signInError ? t("error", { msg: signInError }) : "" });
    const roles = ["uploader", "counterpart", "legal"].filter((r) => oidc.scopes && oidc.scopes[r]);
    main.replaceChildren(el("section", { class: "signin" }, el("h1", { text: t("signInTitle") }),
      el("p", { class: "hint", text: t("providerHelp", { provider: oidc.provider_name || new URL(oidc.authorization_endpoint).host }) }),
      el("div", { class: "actions" }, ...roles.map((r, i) => el("button", { type: "button", id: "signin-" + r, class: i ? "secondary" : "",
        text: t("signInAs", { role: t("role_" + r) }), onclick: () => window.evxOIDC.begin(oidc, r).catch((err) => { msg.textContent = t("error", { msg: err.message }); }) }))), msg));
    const first = main.querySelector("button");
    if (first) first.focus();
  }

  // ---- search (legal staff and uploaders) -------------------------------------------------
  function stateBadge(s) {
    const cls = s === "answered" ? "ok" : s === "delivered" ? "wait" : "";
    return el("span", { class: "badge " + cls, text: t("state_" + s) });
  }
  function searchView(heading) {
    const f = (id, label, type, extra) => el("div", { class: "field" }, el("label", { for: id, text: label }), el("input", Object.assign({ id, name: id, type: type || "text" }, extra || {})));
    const state = el("select", { id: "state", name: "state" }, el("option", { value: "", text: t("any") }),
      ...["accepted", "delivered", "answered"].map((s) => el("option", { value: s, text: t("state_" + s) })));
    const results = el("section", { id: "results", "aria-live": "polite" });
    // Legal staff pick the counterpart from the directory (or type it).
    const cpList = el("datalist", { id: "cplist" });
    if (session.role === "legal") loadDirectory().then((d) => d && cpList.replaceChildren(...d.counterparts.map((c) => el("option", { value: c.id, text: c.name + " (" + c.country + ")" }))));
    const form = el("form", { class: "grid", role: "search", onsubmit: (e) => { e.preventDefault(); run(); } },
      f("q", t("searchWords"), "search"), f("case", t("caseRef")),
      session.role === "legal" ? f("counterpart", t("counterpart"), "text", { list: "cplist", autocomplete: "off" }) : null,
      session.role === "legal" ? cpList : null,
      el("div", { class: "field" }, el("label", { for: "state", text: t("state") }), state),
      f("from", t("from"), "date"), f("to", t("to"), "date"),
      el("div", {}, el("button", { type: "submit", id: "search", text: t("search") })));
    async function run() {
      const p = new URLSearchParams();
      for (const n of ["q", "case", "counterpart", "state", "from", "to"]) { const i = form.elements[n]; if (i && i.value) p.set(n, i.value); }
      try {
        const r = await api("GET", "/v1/bundles?" + p.toString());
        const bs = r.data.bundles;
        if (!bs.length) { results.replaceChildren(el("p", { text: t("noResults") })); return; }
        const rows = bs.map((b) => el("tr", {},
          el("td", {}, el("a", { href: "#bundle/" + b.bundle, text: b.case_reference || b.bundle.slice(0, 12) + "…" })),
          el("td", { class: "mono", text: when(b.received) }),
          el("td", { text: (b.counterparts || []).join(", ") }),
          el("td", {}, stateBadge(b.state)),
          el("td", {}, snippet(b.snippet), b.documents && b.documents.length ? el("div", { class: "hint", text: t("found") + ": " + b.documents.join(", ") }) : null)));
        results.replaceChildren(el("p", { text: t("results", { n: bs.length }) }),
          el("table", {}, el("thead", {}, el("tr", {}, ...[t("caseRef"), t("received"), t("counterparts"), t("state"), t("found")].map((h) => el("th", { scope: "col", text: h })))), el("tbody", {}, ...rows)));
      } catch (err) { showError(results, err); }
    }
    main.replaceChildren(el("h1", { text: heading }), form, results);
    run();
    return form;
  }
  // snippet shows a search snippet, the matches (between [ and ]) marked, as text.
  function snippet(s) {
    const p = el("div");
    if (!s) return p;
    for (const [i, part] of s.split(/\[|\]/).entries()) p.append(i % 2 ? el("mark", { text: part }) : document.createTextNode(part));
    return p;
  }

  // ---- a bundle (legal staff) -------------------------------------------------------------
  const EVENT_TEXT = {
    en: { SubmissionAcceptance: "evx accepted the bundle: the bag was valid, every document hashed and stored", SubmissionRejection: "evx refused the bundle",
      ContentConsignment: "made available to", ContentAccessTracking: "documents fetched by", ConsignmentAcceptance: "receipt acknowledged by",
      ConsignmentRejection: "refused by", AcceptanceRejectionExpiry: "no answer in time from", Hashed: "documents hashed", Stored: "documents stored",
      Extracted: "text extracted", FixityCheck: "stored documents re-checked against their hashes" },
    es: { SubmissionAcceptance: "evx aceptó el envío: la bolsa era válida, cada documento con su huella y guardado", SubmissionRejection: "evx rechazó el envío",
      ContentConsignment: "puesto a disposición de", ContentAccessTracking: "documentos descargados por", ConsignmentAcceptance: "recepción confirmada por",
      ConsignmentRejection: "rechazado por", AcceptanceRejectionExpiry: "sin respuesta a tiempo de", Hashed: "huellas calculadas", Stored: "documentos guardados",
      Extracted: "texto extraído", FixityCheck: "documentos guardados comprobados contra sus huellas" },
  };
  async function bundleView(id) {
    const box = el("section", { class: "box", id: "verdict" }), tl = el("section", { id: "timeline" });
    main.replaceChildren(el("p", {}, el("a", { href: "#", text: t("back") })), el("h1", { id: "title", text: t("bundleTitle", { case: id.slice(0, 12) + "…" }) }), box, tl,
      identifiersSection("/v1/bundles/" + id + "/identifiers"));
    try {
      const [st, trail, ver] = await Promise.all([api("GET", "/v1/bundles/" + id), api("GET", "/v1/bundles/" + id + "/trail"), api("GET", "/v1/bundles/" + id + "/verification")]);
      const req = st.data.ingest && st.data.ingest.request;
      if (req && req.external_identifier) document.getElementById("title").textContent = t("bundleTitle", { case: req.external_identifier });
      const ok = ver.data.verified;
      box.className = "box " + (ok ? "ok" : "bad");
      box.replaceChildren(el("h2", { text: t("verification") + ": " + (ok ? t("verified") : t("notVerified")) }),
        ok ? "" : el("p", { text: ver.data.error }),
        el("p", { class: "mono", text: t("bundle") + " " + id }),
        el("div", { class: "actions" },
          fileLink({ class: "button", text: t("report") }, "/v1/bundles/" + id + "/report", "report-" + id.slice(0, 12) + ".pdf"),
          fileLink({ class: "button secondary", text: t("trailFile") }, "/v1/bundles/" + id + "/trail", "trail-" + id.slice(0, 12) + ".json"),
          el("a", { class: "button secondary", href: "/verify.html", target: "_blank", rel: "noopener", text: t("verifier") })));
      // Against a checkpoint the person kept: the log must extend it.
      const kept = el("input", { id: "kept", type: "file", accept: ".txt,text/plain" });
      const keptOut = el("div", { id: "consistency", role: "status" });
      box.append(el("form", { class: "kept", onsubmit: async (e) => {
        e.preventDefault();
        if (!kept.files[0]) return;
        keptOut.replaceChildren(el("p", { text: t("checking") }));
        try {
          const r = (await api("POST", "/v1/bundles/" + id + "/verification", await kept.files[0].text(), true)).data;
          keptOut.replaceChildren(el("p", { class: r.verified ? "ok-text" : "error", text: r.verified ? t("consistent", { size: r.checkpoint_size }) : t("inconsistent", { msg: r.error }) }));
        } catch (err) { showError(keptOut, err); }
      } }, el("div", { class: "field" }, el("label", { for: "kept", text: t("keptCheckpoint") }), kept),
        el("div", { class: "actions" }, el("button", { type: "submit", id: "checkkept", class: "secondary", text: t("checkKept") })), keptOut));
      const words = EVENT_TEXT[lang] || EVENT_TEXT.en;
      const rows = trail.data.events.map(({ event: e }) => {
        let what = words[e.type] || e.type;
        if (e.details.counterpart) what += " " + e.details.counterpart;
        if (e.details.reasons && e.details.reasons.length) what += ": " + e.details.reasons.join("; ");
        return el("tr", {}, el("td", { text: String(e.seq) }), el("td", { class: "mono", text: when(e.time) }), el("td", { text: what }), el("td", { text: e.actor.kind + " " + e.actor.id }));
      });
      tl.replaceChildren(el("h2", { text: t("timeline") }), el("table", {}, el("thead", {}, el("tr", {}, ...["#", t("when"), t("what"), t("who")].map((h) => el("th", { scope: "col", text: h })))), el("tbody", {}, ...rows)));
    } catch (err) { showError(box, err); }
  }

  // ---- inbox (counterparts) ----------------------------------------------------------------
  async function inboxView() {
    const list = el("section", { id: "inbox" });
    main.replaceChildren(el("h1", { text: t("inboxTitle") }), list);
    try {
      const r = await api("GET", "/v1/deliveries");
      const ds = r.data.deliveries || [];
      if (!ds.length) { list.replaceChildren(el("p", { text: t("noDeliveries") })); return; }
      list.replaceChildren(el("table", {}, el("thead", {}, el("tr", {}, ...[t("delivery"), t("received"), t("deadline"), t("state")].map((h) => el("th", { scope: "col", text: h })))),
        el("tbody", {}, ...ds.map((d) => el("tr", {}, el("td", {}, el("a", { href: "#delivery/" + d.id, class: "mono", text: d.id.slice(0, 16) + "…" })),
          el("td", { class: "mono", text: when(d.created) }), el("td", { class: "mono", text: when(d.deadline) }),
          el("td", {}, el("span", { class: "badge " + (d.state === "accepted" ? "ok" : d.state === "consigned" ? "wait" : "bad"), text: d.state })))))));
    } catch (err) { showError(list, err); }
  }
  async function deliveryView(id) {
    const docsSec = el("section", { id: "documents" }), answer = el("section", { id: "answer" });
    const preview = el("section", { id: "preview", "aria-live": "polite" });
    main.replaceChildren(el("p", {}, el("a", { href: "#", text: t("back") })), el("h1", { text: t("delivery") + " " + id.slice(0, 16) + "…" }), docsSec, preview,
      identifiersSection("/v1/deliveries/" + id + "/identifiers"), answer);
    const docPath = (name) => name.split("/").map(encodeURIComponent).join("/");
    async function showText(d) {
      preview.replaceChildren(el("p", { text: t("loading") }));
      try {
        const p = (await api("GET", "/v1/deliveries/" + id + "/text/" + docPath(d.name))).data;
        preview.replaceChildren(el("h2", { text: t("previewOf", { name: p.name }) }),
          el("p", { class: "hint", text: !p.extracted ? t("noText") : p.truncated ? t("textCut") : t("textWhole") }),
          p.extracted ? el("pre", { class: "text", tabindex: "0", "aria-label": t("previewOf", { name: p.name }), text: p.text }) : "");
      } catch (err) { showError(preview, err); }
    }
    let m;
    try { m = (await api("GET", "/v1/deliveries/" + id)).data; } catch (err) { showError(docsSec, err); return; }
    const docs = m.documents || [];
    const computed = new Map();
    const cells = new Map();
    const msg = el("p", { role: "alert", class: "error" });
    const rows = docs.map((d) => {
      const c = el("td", { class: "hash-result", text: "" });
      cells.set(d.name, c);
      return el("tr", {}, el("td", {}, fileLink({ text: d.name }, "/v1/deliveries/" + id + "/documents/" + docPath(d.name), d.name.split("/").pop())),
        el("td", { text: human(d.size) }), el("td", { text: d.media_type || "" }), el("td", { class: "mono", text: d.sha256 }), c,
        el("td", {}, el("button", { type: "button", class: "secondary small preview", "aria-label": t("previewOf", { name: d.name }), text: t("preview"), onclick: () => showText(d) })));
    });
    const check = el("button", { type: "button", id: "check", class: "secondary", text: t("checkHashes"), onclick: async () => {
      check.disabled = true;
      for (const d of docs) {
        const c = cells.get(d.name); c.textContent = t("checking");
        try {
          const res = await fetch(apiURL("/v1/deliveries/" + id + "/documents/" + docPath(d.name)), auth("GET"));
          if (!res.ok) throw new Error(res.status + " " + res.statusText);
          const buf = await res.arrayBuffer();
          const sum = Array.from(new Uint8Array(await crypto.subtle.digest("SHA-256", buf)), (x) => x.toString(16).padStart(2, "0")).join("");
          computed.set(d.name, sum);
          c.replaceChildren(el("span", { class: "badge " + (sum === d.sha256 ? "ok" : "bad"), text: sum === d.sha256 ? t("hashOK") : t("hashBad") }));
        } catch (err) { c.textContent = t("error", { msg: err.message }); }
      }
      check.disabled = false;
      msg.textContent = "";
    } });
    docsSec.replaceChildren(el("h2", { text: t("documents") }),
      el("table", {}, el("thead", {}, el("tr", {}, ...[t("name"), t("size"), t("type"), "SHA-256", t("check"), t("text")].map((h) => el("th", { scope: "col", text: h })))), el("tbody", {}, ...rows)),
      el("div", { class: "actions" }, check));
    const state = (m.delivery && m.delivery.state) || m.state;
    if (state && state !== "consigned") { answer.replaceChildren(el("p", { id: "answered", text: t("answered", { state }) })); return; }
    // Reasons: codes to tick (recorded as "code: the English text", so every party reads the
    // same record) and a note in the person's own words.
    const boxes = REASON_CODES.map((c) => el("input", { type: "checkbox", name: "reason", value: c, id: "reason-" + c }));
    const note = el("textarea", { id: "note" });
    const dir = await loadDirectory();
    const own = dir && dir.agency;
    const seal = own && own.seal_keys.length ? sealField(own, own.require_signed_receipts, "sealReceiptHelp") : null;
    const post = async (accepted) => {
      msg.textContent = "";
      const notes = note.value.split("\n").map((s) => s.trim()).filter(Boolean);
      const ticked = boxes.filter((b) => b.checked).map((b) => b.value);
      const codes = ticked.map((c) => c + ": " + S.en["reason_" + c]);
      let body;
      if (accepted) {
        if (computed.size !== docs.length) { msg.textContent = t("mustCheck"); return; }
        if (codes.length) { msg.textContent = t("codesAreForRefusing"); return; }
        body = { accepted: true, documents: docs.map((d) => ({ name: d.name, sha256: computed.get(d.name) })), reasons: notes };
      } else {
        const rs = codes.concat(notes);
        if (!rs.length || seal && seal.key() && !ticked.length) { msg.textContent = t(rs.length ? "sealNeedsCode" : "refuseNeedsReason"); return; }
        body = { accepted: false, reasons: rs };
      }
      if (seal && seal.required && !seal.key()) { msg.textContent = t("sealNeeded"); return; }
      if (seal && seal.key()) {
        // The statement says everything: the counterpart's own hashes, its codes and note.
        if (!seal.person()) { msg.textContent = t("sealNeedsPerson"); return; }
        try {
          body = await window.evxSeal.receipt(seal.key(), { agency: seal.agency, person: seal.person(), delivery: m.delivery.id, bundle: m.delivery.bundle,
            outcome: accepted ? "accepted" : "refused", documents: docs.filter((d) => computed.has(d.name)).map((d) => computed.get(d.name) === d.sha256
              ? { name: d.name, sha256: computed.get(d.name), outcome: "accepted" } : { name: d.name, sha256: computed.get(d.name), outcome: "refused", reason: "hash-mismatch" }),
            reason_codes: ticked, note: notes.join("\n") });
        } catch (err) { msg.textContent = t("error", { msg: err.message }); return; }
      }
      try {
        const r = await api("POST", "/v1/deliveries/" + id + "/receipt", body);
        if (r.status === 422) { msg.textContent = t("error", { msg: r.data.error }); return; }
        const sealed = seal && seal.key() ? " · " + t("sealedWith", { id: seal.key().keyId.slice(0, 19) + "…", person: seal.person() }) : "";
        answer.replaceChildren(el("p", { id: "answered", text: t("answered", { state: accepted ? "accepted" : "rejected" }) + sealed }));
      } catch (err) { msg.textContent = t("error", { msg: err.message }); }
    };
    answer.replaceChildren(el("h2", { text: t("answerTitle") }),
      el("fieldset", { id: "reasons", class: "choices" }, el("legend", { text: t("reasonsPick") }),
        ...REASON_CODES.map((c, i) => el("div", { class: "choice" }, boxes[i], el("label", { for: "reason-" + c }, el("span", { text: t("reason_" + c) }), el("span", { class: "hint sub", text: c }))))),
      el("div", { class: "field" }, el("label", { for: "note", text: t("note") }), note), seal ? seal.node : "",
      el("div", { class: "actions" }, el("button", { type: "button", id: "accept", text: t("accept"), onclick: () => post(true) }),
        el("button", { type: "button", id: "refuse", class: "danger", text: t("refuse"), onclick: () => post(false) })), msg);
  }
  // The reason codes a counterpart refuses a delivery with (docs/operating.md).
  // The same codes as a sealed statement's (custody.ReasonCodes, docs/seals.md).
  const REASON_CODES = ["hash-mismatch", "incomplete", "unreadable", "not-competent", "legal-basis-insufficient", "wrong-recipient", "other"];

  // ---- identifiers found in the documents (counterparts and legal staff) ---------------------
  // identifiersSection offers the identifiers evx found in the documents (GET path): each
  // read of them is recorded in the trail as an access to the documents' content, so they are
  // fetched when the person asks, not when the page opens.
  function identifiersSection(path) {
    const sec = el("section", { id: "identifiers", "aria-live": "polite" });
    const show = el("button", { type: "button", id: "showids", class: "secondary", text: t("identifiersShow"), onclick: async () => {
      sec.replaceChildren(el("p", { text: t("loading") }));
      try {
        const docs = (await api("GET", path)).data.documents || [];
        const rows = [];
        for (const d of docs) for (const f of d.identifiers || []) rows.push(el("tr", {}, el("td", { text: d.name }), el("td", { text: t("idtype_" + f.type) === "idtype_" + f.type ? f.type : t("idtype_" + f.type) }),
          el("td", { class: "mono", text: f.value }), el("td", { text: f.page ? t("page", { n: f.page }) : f.part || "" })));
        sec.replaceChildren(el("h2", { text: t("identifiersTitle") }), el("p", { class: "hint", text: t("identifiersHelp") }),
          rows.length ? el("table", {}, el("thead", {}, el("tr", {}, ...[t("document"), t("type"), t("value"), t("where")].map((h) => el("th", { scope: "col", text: h })))), el("tbody", {}, ...rows))
            : el("p", { id: "noids", text: t("identifiersNone") }));
      } catch (err) { showError(sec, err); }
    } });
    sec.append(el("h2", { text: t("identifiersTitle") }), el("div", { class: "actions" }, show));
    return sec;
  }

  // ---- seals with the agency's own key (uploaders and counterparts) --------------------------
  // The agency seal key a person loaded in this page (window.evxSeal.load): a non-extractable
  // WebCrypto key in the page's memory until it is closed or the person signs out, never sent.
  let sealKey = null;
  // sealField offers to load the seal key of own (GET /v1/directory's agency), checked against
  // the agency's seal keys; what reads the key signs what the person sends or answers.
  function sealField(own, required, what) {
    const field = (id, label, node) => el("div", { class: "field" }, el("label", { for: id, text: label }), node);
    const input = el("input", { id: "sealkey", type: "file", accept: ".pem,.key,application/x-pem-file" });
    const person = el("input", { id: "sealperson", type: "text", autocomplete: "off", value: session.person || "" });
    if (session.person) person.readOnly = true;
    const status = el("p", { id: "sealstatus", role: "status", class: "hint" });
    const say = () => { status.textContent = sealKey ? t("sealLoaded", { id: sealKey.keyId.slice(0, 19) + "…", agency: own.name }) : t(required ? "sealNeeded" : "sealOptional"); };
    input.addEventListener("change", async () => {
      const f = input.files[0];
      if (!f) return;
      try {
        const k = await window.evxSeal.load(await f.text());
        if (!own.seal_keys.includes(k.keyId)) throw new Error(t("sealNotAgencys", { id: k.keyId, agency: own.id }));
        sealKey = k; say();
      } catch (err) { sealKey = null; status.textContent = t("error", { msg: err.message }); }
      input.value = "";
    });
    say();
    const node = el("fieldset", { id: "seal", class: "seal" }, el("legend", { text: t(required ? "sealTitleRequired" : "sealTitle") }),
      el("p", { class: "hint", text: t(what) }), el("div", { class: "grid" }, field("sealkey", t("sealKey"), input), field("sealperson", t("sealPerson"), person)), status);
    return { node, key: () => sealKey, person: () => person.value.trim(), agency: own.id, required };
  }

  // ---- the directory (every role) -----------------------------------------------------------
  // The counterparts the caller may choose from (GET /v1/directory), fetched once a session;
  // null when this server has no directory to offer (the pages then take typed ids).
  let directory;
  async function loadDirectory() {
    if (directory !== undefined) return directory;
    try { directory = (await api("GET", "/v1/directory")).data; } catch (e) { directory = null; }
    return directory;
  }
  const basisName = (b) => { const n = t("basis_" + b); return n === "basis_" + b ? b : b + " · " + n; };
  // common returns what every list has (all of the first when there is one list).
  const common = (lists) => lists.length ? lists.reduce((a, l) => a.filter((x) => l.includes(x))) : [];

  // ---- upload (uploaders) --------------------------------------------------------------------
  async function uploadView() {
    const out = el("p", { id: "sent", role: "status" });
    const prog = el("progress", { id: "progress", max: "1", value: "0", hidden: true, "aria-label": t("progress") });
    const progText = el("span", { id: "progresstext", class: "hint" });
    const field = (id, label, node) => el("div", { class: "field" }, el("label", { for: id, text: label }), node);
    const files = el("input", { id: "files", type: "file", multiple: true });
    const folder = el("input", { id: "folder", type: "file", webkitdirectory: true });
    const fileList = el("section", { id: "filelist", "aria-live": "polite" });
    const basis = el("select", { id: "basis" });
    const code = el("select", { id: "hcode" });
    const caseRef = el("input", { id: "caseref", type: "text" });
    const reqRef = el("input", { id: "reqref", type: "text" });
    const from = el("input", { id: "requesting", type: "text", maxlength: "2", placeholder: "ES", autocomplete: "off" });
    const to = el("input", { id: "requested", type: "text", maxlength: "2", placeholder: "NL", autocomplete: "off" });
    let toAuto = "";
    main.replaceChildren(el("p", { text: t("loading") }));
    const dir = await loadDirectory();
    // A person of an agency with seal keys may seal the bag the page makes; must, when the
    // directory says the agency's bags carry its seal. The seal names the person signed in.
    const own = dir && dir.agency;
    const seal = own && own.seal_keys.length && session.person ? sealField(own, own.require_seal, "sealBagHelp") : null;
    // Counterparts: one checkbox each from the directory, or typed ids without one.
    let cpBox, chosenCounterparts;
    if (dir && dir.counterparts.length) {
      const boxes = dir.counterparts.map((c) => el("input", { type: "checkbox", name: "cp", value: c.id, id: "cp-" + c.id }));
      cpBox = el("fieldset", { id: "counterparts", class: "choices" }, el("legend", { text: t("counterpartsPick") }),
        ...dir.counterparts.map((c, i) => el("div", { class: "choice" }, boxes[i],
          el("label", { for: "cp-" + c.id }, el("span", { text: c.name }), el("span", { class: "hint sub", text: c.country + " · " + c.id })))));
      chosenCounterparts = () => boxes.filter((b) => b.checked).map((b) => b.value);
      cpBox.addEventListener("change", refine);
    } else {
      const cps = el("input", { id: "counterparts", type: "text", required: true, placeholder: "nl-om, es-fge" });
      cpBox = field("counterparts", t("counterpartsLabel"), cps);
      chosenCounterparts = () => cps.value.split(/[\s,]+/).filter(Boolean);
    }
    // Legal bases and handling codes that every chosen counterpart accepts.
    function refine() {
      const chosen = dir ? dir.counterparts.filter((c) => chosenCounterparts().includes(c.id)) : [];
      const pool = chosen.length ? chosen : (dir ? dir.counterparts : []);
      const bases = chosen.length ? common(chosen.map((c) => c.legal_bases)) : [...new Set(pool.flatMap((c) => c.legal_bases))].sort();
      const codes = dir ? (chosen.length ? common(chosen.map((c) => c.handling_codes)) : dir.handling_codes) : ["H0", "H1", "H2", "H3"];
      const keep = (sel, values, label) => {
        const was = sel.value;
        sel.replaceChildren(el("option", { value: "", text: values.length || !chosen.length ? t("choose") : t("noneCommon") }),
          ...values.map((v) => el("option", { value: v, text: label(v) })));
        if (values.includes(was)) sel.value = was;
      };
      keep(basis, dir ? bases : ["EU-EIO", "CoE-MLA-1959", "UN-1988-Art7", "JIT"], basisName);
      keep(code, codes, (c) => c + " · " + t("hcode_" + c));
      const countries = [...new Set(chosen.map((c) => c.country))];
      if (countries.length === 1 && (!to.value || to.value === toAuto)) { to.value = toAuto = countries[0]; }
      else if (to.value === toAuto) { to.value = toAuto = ""; }
    }
    refine();
    // The requests this agency must answer (GET /v1/requests: addressed to it, acknowledged or
    // accepted, which are those that take an answer): a
    // bundle answers one by naming it, to its issuer, and choosing one fills in what the
    // request says (evx's routing holds the bundle's counterparts to the request's parties).
    const home = session.agency || (dir && dir.home) || "";
    let open = [];
    try {
      const r = await api("GET", "/v1/requests?open=true");
      if (r.status === 200 && Array.isArray(r.data)) open = r.data.filter((q) => q.addressee === home && (q.status === "received" || q.status === "accepted"));
    } catch (e) { open = []; }
    const due = (q) => (q.deadlines || []).filter((d) => (d.status === "open" || d.status === "suspended") && d.due).map((d) => d.due).sort()[0] || "";
    const reqPick = el("select", { id: "request" }, el("option", { value: "", text: open.length ? t("requestNone") : t("requestNoneOpen") }),
      ...open.map((q) => el("option", { value: q.id, text: q.id + " · " + q.type + " · " + t("requestFrom", { agency: q.issuer }) + (due(q) ? " · " + t("requestDue", { due: when(due(q)) }) : "") })));
    reqPick.addEventListener("change", () => {
      const q = open.find((x) => x.id === reqPick.value);
      reqRef.readOnly = !!q;
      if (!q) { reqRef.value = ""; return; }
      reqRef.value = q.id;
      if (q.case_reference) caseRef.value = q.case_reference;
      if (q.issuing_state) from.value = q.issuing_state;
      for (const b of document.querySelectorAll("#counterparts input[type=checkbox]")) b.checked = b.value === q.issuer;
      refine();
      if ([...basis.options].some((o) => o.value === q.legal_basis)) basis.value = q.legal_basis;
      if (q.handling_code && [...code.options].some((o) => o.value === q.handling_code)) code.value = q.handling_code;
      // The answer goes back to the requesting state; this agency's is the requested one.
      to.value = (own && own.country) || ""; toAuto = null;
    });
    // The chosen files, each with its size and, once hashed, its SHA-256.
    let cells = [];
    function listFiles() {
      const chosen = [...files.files, ...folder.files];
      cells = chosen.map(() => el("td", { class: "mono", text: t("waiting") }));
      if (!chosen.length) { fileList.replaceChildren(); return; }
      let name;
      fileList.replaceChildren(el("h3", { text: t("chosenFiles", { n: chosen.length, size: human(chosen.reduce((n, f) => n + f.size, 0)) }) }),
        el("table", {}, el("thead", {}, el("tr", {}, ...[t("name"), t("size"), "SHA-256"].map((h) => el("th", { scope: "col", text: h })))),
          el("tbody", {}, ...chosen.map((f, i) => { try { name = window.evxBag.payloadPath(f); } catch (e) { name = f.name; } return el("tr", {}, el("td", { text: name }), el("td", { text: human(f.size) }), cells[i]); }))));
    }
    files.addEventListener("change", listFiles);
    folder.addEventListener("change", listFiles);
    const showProgress = (label) => (n, total) => {
      prog.hidden = false; prog.max = total || 1; prog.value = n;
      progText.textContent = t(label, { pct: total ? Math.floor((100 * n) / total) : 100, done: human(n), total: human(total || 0) });
    };
    const report = (st) => st.ingest
      ? t("sent", { id: st.upload.bundle.slice(0, 12) + "…", outcome: st.ingest.accepted ? t("state_accepted") : t("rejected") + ": " + (st.ingest.reasons || []).join("; ") })
      : t("error", { msg: st.error || "" });
    const sentLink = (st) => st.upload && st.ingest ? el("a", { href: "#bundle/" + st.upload.bundle, id: "sentlink", text: t("openBundle") }) : "";
    // sendBuilt sends a bag the page made; when the connection fails, the same bag (the same
    // bytes: a bag made again would differ in its dates) can be sent again from where it
    // stopped.
    async function sendBuilt(bag) {
      out.textContent = t("sending", { n: bag.documents.length });
      try {
        const r = await window.evxBag.send(bag.blob, apiURL(""), auth("POST").headers, showProgress("sendProgress"), showProgress("bagHashProgress"));
        out.replaceChildren(report(r.data), " ", sentLink(r.data));
        list.refresh();
      } catch (err) {
        out.replaceChildren(t("error", { msg: errText(err) }), " ",
          el("button", { type: "button", id: "resume", class: "secondary small", text: t("resumeSending"), onclick: () => sendBuilt(bag).catch((e2) => { out.textContent = t("error", { msg: errText(e2) }); }) }));
      }
    }
    const make = el("form", { id: "make", onsubmit: async (e) => {
      e.preventDefault(); out.textContent = "";
      const chosen = [...files.files, ...folder.files];
      const cps = chosenCounterparts();
      if (!cps.length) { out.textContent = t("needCounterpart"); return; }
      const fields = cps.map((c) => ["EVX-Counterpart", c]).concat([
        ["EVX-Legal-Basis", basis.value], ["EVX-Handling-Code", code.value], ["External-Identifier", caseRef.value.trim()],
        ["EVX-Request-Reference", reqRef.value.trim()], ["EVX-Requesting-State", from.value.trim().toUpperCase()], ["EVX-Requested-State", to.value.trim().toUpperCase()]]);
      if (seal && seal.required && !seal.key()) { out.textContent = t("sealNeeded"); return; }
      const sealer = seal && seal.key() ? (tags) => window.evxSeal.bag(seal.key(), seal.agency, seal.person(), tags) : undefined;
      try {
        out.textContent = t("hashing");
        const bag = await window.evxBag.build(chosen, fields, showProgress("hashProgress"), (i, n, sum) => {
          if (!cells[i]) return;
          cells[i].textContent = sum || t("hashingFile", { pct: chosen[i].size ? Math.floor((100 * n) / chosen[i].size) : 100 });
        }, sealer);
        await sendBuilt(bag);
      } catch (err) { out.textContent = t("error", { msg: errText(err) }); }
    } },
      el("h2", { text: t("makeTitle") }), el("p", { class: "hint", text: t("makeHelp") }),
      el("div", { class: "grid" }, field("files", t("filesLabel"), files), field("folder", t("folderLabel"), folder)),
      fileList, cpBox,
      el("div", { class: "grid" }, field("basis", t("legalBasis"), basis), field("hcode", t("handlingCode"), code),
        field("request", t("requestPick"), reqPick), field("reqref", t("requestRef"), reqRef),
        field("caseref", t("caseRef"), caseRef), field("requesting", t("requestingState"), from),
        field("requested", t("requestedState"), to)), seal ? seal.node : "",
      el("div", { class: "actions" }, el("button", { type: "submit", id: "bagsend", text: t("bagAndSend") })));
    const bagFile = el("input", { id: "bag", type: "file", accept: ".zip,.tar,.gz,.tgz" });
    const sendBag = el("form", { id: "sendbag", onsubmit: async (e) => {
      e.preventDefault(); out.textContent = "";
      if (!bagFile.files[0]) return;
      try {
        const r = await window.evxBag.send(bagFile.files[0], apiURL(""), auth("POST").headers, showProgress("sendProgress"), showProgress("bagHashProgress"));
        out.replaceChildren(report(r.data), " ", sentLink(r.data));
        list.refresh();
      } catch (err) { out.textContent = t("error", { msg: errText(err) }); }
    } },
      el("h2", { text: t("uploadTitle") }), el("p", { class: "hint", text: t("uploadHelp") }),
      field("bag", t("bagFile"), bagFile), el("div", { class: "actions" }, el("button", { type: "submit", id: "send", class: "secondary", text: t("send") })));
    const list = { refresh: () => {} };
    const form = searchView(t("myBundles"));
    list.refresh = () => form.requestSubmit();
    main.prepend(make, el("div", { class: "progress" }, prog, progText), out, sendBag);
  }

  // ---- a bundle (uploaders) -------------------------------------------------------------------
  // What the uploader may know of its own bundle (GET /v1/bundles/{id}): the outcome, the
  // request, the documents as evx recorded them, and each counterpart's delivery.
  async function uploaderBundleView(id) {
    const box = el("section", { class: "box", id: "verdict" }), docs = el("section", { id: "documents" }), dels = el("section", { id: "deliveries" });
    main.replaceChildren(el("p", {}, el("a", { href: "#", text: t("back") })), el("h1", { id: "title", text: t("bundleTitle", { case: id.slice(0, 12) + "…" }) }), box, docs, dels);
    let st;
    try { st = (await api("GET", "/v1/bundles/" + id)).data; } catch (err) { showError(box, err); return; }
    const ing = st.ingest, req = (ing && ing.request) || {};
    if (req.external_identifier) document.getElementById("title").textContent = t("bundleTitle", { case: req.external_identifier });
    const row = (k, v) => v ? el("div", { class: "kv" }, el("dt", { text: k }), el("dd", { text: v })) : null;
    const outcome = !ing ? t("processing") : ing.accepted ? t("outcomeAccepted") : t("outcomeRejected");
    box.className = "box " + (!ing ? "" : ing.accepted ? "ok" : "bad");
    box.replaceChildren(el("h2", { text: outcome }),
      ing && ing.reasons && ing.reasons.length ? el("ul", {}, ...ing.reasons.map((r) => el("li", { text: r }))) : "",
      el("dl", { class: "facts" }, row(t("bundle"), id), row(t("received"), when(st.upload.received) + " UTC"), row(t("size"), human(st.upload.size)),
        row(t("requestRef"), req.request_reference), row(t("legalBasis"), req.legal_basis && basisName(req.legal_basis)),
        row(t("handlingCode"), req.handling_code && req.handling_code + " · " + t("hcode_" + req.handling_code)),
        row(t("requestingState"), req.requesting_state), row(t("requestedState"), req.requested_state)));
    if (ing && ing.documents && ing.documents.length) {
      docs.replaceChildren(el("h2", { text: t("documents") }), el("p", { class: "hint", text: t("docsRecorded") }),
        el("table", {}, el("thead", {}, el("tr", {}, ...[t("name"), t("size"), t("type"), "SHA-256"].map((h) => el("th", { scope: "col", text: h })))),
          el("tbody", {}, ...ing.documents.map((d) => el("tr", {}, el("td", { text: d.name }), el("td", { text: human(d.size) }), el("td", { text: d.media_type || "" }), el("td", { class: "mono", text: d.sha256 }))))));
    }
    const ds = st.deliveries || [];
    if (ds.length) {
      const badge = (s) => el("span", { class: "badge " + (s === "accepted" ? "ok" : s === "consigned" ? "wait" : "bad"), text: t("delivery_" + s) });
      dels.replaceChildren(el("h2", { text: t("deliveries") }),
        el("table", {}, el("thead", {}, el("tr", {}, ...[t("counterpart"), t("madeAvailable"), t("deadline"), t("state")].map((h) => el("th", { scope: "col", text: h })))),
          el("tbody", {}, ...ds.map((d) => el("tr", {}, el("td", { text: d.counterpart }), el("td", { class: "mono", text: when(d.created) }), el("td", { class: "mono", text: when(d.deadline) }), el("td", {}, badge(d.state)))))));
    }
  }

  // ---- routing ------------------------------------------------------------------------------
  function render() {
    translateStatic();
    const who = document.getElementById("who"), out = document.getElementById("signout");
    if (!session) { who.textContent = ""; out.hidden = true; signInView(); return; }
    who.textContent = t("signedInAs", { subject: session.subject, role: t("role_" + session.role) });
    out.hidden = false;
    const [view, arg] = location.hash.slice(1).split("/");
    if (session.role === "legal") { if (view === "bundle" && arg) bundleView(arg); else searchView(t("searchTitle")); }
    else if (session.role === "counterpart") { if (view === "delivery" && arg) deliveryView(arg); else inboxView(); }
    else if (view === "bundle" && arg) uploaderBundleView(arg);
    else uploadView();
    main.focus();
  }
  document.getElementById("lang").addEventListener("change", (e) => { lang = e.target.value; render(); });
  document.getElementById("signout").addEventListener("click", async () => {
    const wasBearer = session && session.bearer;
    if (!wasBearer) { try { await api("DELETE", "/v1/session"); } catch (e) { /* already ended */ } }
    session = null; directory = undefined; sealKey = null; location.hash = ""; signInError = "";
    if (wasBearer && oidc.logout_endpoint) {
      const u = new URL(oidc.logout_endpoint);
      u.searchParams.set("client_id", oidc.client_id);
      u.searchParams.set("logout_uri", oidc.redirect_uri);
      location.assign(u.toString());
      return;
    }
    render();
  });
  window.addEventListener("hashchange", render);
  (async () => {
    try { const r = await fetch("/app/config.json", { credentials: "same-origin" }); if (r.ok) { const c = await r.json(); if (c.signin === "oidc") oidc = c; } } catch (e) { /* none */ }
    if (oidc) {
      try {
        const got = await window.evxOIDC.finish(oidc);
        if (got) session = { role: got.role, subject: got.subject || t("role_" + got.role), bearer: got.token, expires: got.expires };
      } catch (err) { signInError = err.message; }
    } else {
      try { const r = await fetch("/v1/session", { credentials: "same-origin" }); if (r.ok) session = await r.json(); } catch (e) { /* offline */ }
    }
    render();
  })();
})();
