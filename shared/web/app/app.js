"use strict";
// evx's pages for the three roles, over the same HTTP API as the command line. The session
// cookie authenticates; the CSRF token of the session goes with every request that changes
// something. Nothing is kept in storage: the token pasted at sign-in is sent once and
// forgotten. Text from the server is always set as text, never as markup.
(function () {
  const S = window.EVX_STRINGS;
  let lang = (navigator.language || "en").slice(0, 2) in S ? (navigator.language || "en").slice(0, 2) : "en";
  let session = null; // {role, subject, counterpart, csrf, expires}
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
  const human = (n) => n < 1024 ? n + " B" : n < 1 << 20 ? (n / 1024).toFixed(1) + " KiB" : n < 1 << 30 ? (n / 1048576).toFixed(1) + " MiB" : (n / 1073741824).toFixed(2) + " GiB";
  const when = (s) => s ? s.replace("T", " ").replace(/\.\d+Z$/, "").replace(/Z$/, "") : "";

  async function api(method, path, body, raw) {
    const opt = { method, headers: {}, credentials: "same-origin" };
    if (method !== "GET" && method !== "HEAD" && session) opt.headers["X-Evx-CSRF"] = session.csrf;
    if (body !== undefined) {
      if (raw) opt.body = body; else { opt.body = JSON.stringify(body); opt.headers["Content-Type"] = "application/json"; }
    }
    const res = await fetch(path, opt);
    if (res.status === 401 && path !== "/v1/session") { session = null; render(); throw new Error("not signed in"); }
    const ct = res.headers.get("Content-Type") || "";
    const data = ct.startsWith("application/json") ? await res.json() : await res.text();
    if (!res.ok && res.status !== 422) throw new Error((data && data.error) || res.status + " " + res.statusText);
    return { status: res.status, data };
  }
  function showError(where, err) {
    where.replaceChildren(el("p", { class: "error", role: "alert", text: t("error", { msg: err.message }) }));
  }

  // ---- sign in --------------------------------------------------------------------------
  function signInView() {
    const msg = el("p", { role: "alert", class: "error" });
    const tok = el("input", { id: "token", type: "password", autocomplete: "off", required: true });
    const file = el("input", { id: "tokenfile", type: "file" });
    file.addEventListener("change", async () => { if (file.files[0]) tok.value = (await file.files[0].text()).trim(); });
    const form = el("form", { class: "signin", onsubmit: async (e) => {
      e.preventDefault(); msg.textContent = "";
      try {
        const r = await api("POST", "/v1/session", { token: tok.value.trim() });
        tok.value = ""; session = r.data; render();
      } catch (err) { msg.textContent = t("error", { msg: err.message }); }
    } },
      el("h1", { text: t("signInTitle") }), el("p", { class: "hint", text: t("signInHelp") }),
      el("div", { class: "field" }, el("label", { for: "token", text: t("token") }), tok),
      el("div", { class: "field" }, el("label", { for: "tokenfile", text: t("tokenFile") }), file),
      el("div", { class: "actions" }, el("button", { type: "submit", id: "signin", text: t("signIn") })), msg);
    main.replaceChildren(form);
    tok.focus();
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
    const form = el("form", { class: "grid", role: "search", onsubmit: (e) => { e.preventDefault(); run(); } },
      f("q", t("searchWords"), "search"), f("case", t("caseRef")),
      session.role === "legal" ? f("counterpart", t("counterpart")) : null,
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
    main.replaceChildren(el("p", {}, el("a", { href: "#", text: t("back") })), el("h1", { id: "title", text: t("bundleTitle", { case: id.slice(0, 12) + "…" }) }), box, tl);
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
          el("a", { class: "button", href: "/v1/bundles/" + id + "/report", text: t("report") }),
          el("a", { class: "button secondary", href: "/v1/bundles/" + id + "/trail", download: "trail-" + id.slice(0, 12) + ".json", text: t("trailFile") }),
          el("a", { class: "button secondary", href: "/verify.html", target: "_blank", rel: "noopener", text: t("verifier") })));
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
    main.replaceChildren(el("p", {}, el("a", { href: "#", text: t("back") })), el("h1", { text: t("delivery") + " " + id.slice(0, 16) + "…" }), docsSec, answer);
    let m;
    try { m = (await api("GET", "/v1/deliveries/" + id)).data; } catch (err) { showError(docsSec, err); return; }
    const docs = m.documents || [];
    const computed = new Map();
    const cells = new Map();
    const msg = el("p", { role: "alert", class: "error" });
    const rows = docs.map((d) => {
      const c = el("td", { class: "hash-result", text: "" });
      cells.set(d.name, c);
      return el("tr", {}, el("td", {}, el("a", { href: "/v1/deliveries/" + id + "/documents/" + d.name.split("/").map(encodeURIComponent).join("/"), download: d.name.split("/").pop(), text: d.name })),
        el("td", { text: human(d.size) }), el("td", { text: d.media_type || "" }), el("td", { class: "mono", text: d.sha256 }), c);
    });
    const check = el("button", { type: "button", id: "check", class: "secondary", text: t("checkHashes"), onclick: async () => {
      check.disabled = true;
      for (const d of docs) {
        const c = cells.get(d.name); c.textContent = t("checking");
        try {
          const res = await fetch("/v1/deliveries/" + id + "/documents/" + d.name.split("/").map(encodeURIComponent).join("/"), { credentials: "same-origin" });
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
      el("table", {}, el("thead", {}, el("tr", {}, ...[t("name"), t("size"), t("type"), "SHA-256", ""].map((h) => el("th", { scope: "col", text: h })))), el("tbody", {}, ...rows)),
      el("div", { class: "actions" }, check));
    const state = (m.delivery && m.delivery.state) || m.state;
    if (state && state !== "consigned") { answer.replaceChildren(el("p", { id: "answered", text: t("answered", { state }) })); return; }
    const reasons = el("textarea", { id: "reasons" });
    const post = async (accepted) => {
      msg.textContent = "";
      let body;
      if (accepted) {
        if (computed.size !== docs.length) { msg.textContent = t("mustCheck"); return; }
        body = { accepted: true, documents: docs.map((d) => ({ name: d.name, sha256: computed.get(d.name) })) };
      } else {
        const rs = reasons.value.split("\n").map((s) => s.trim()).filter(Boolean);
        if (!rs.length) { msg.textContent = t("refuseNeedsReason"); return; }
        body = { accepted: false, reasons: rs };
      }
      try {
        const r = await api("POST", "/v1/deliveries/" + id + "/receipt", body);
        if (r.status === 422) { msg.textContent = t("error", { msg: r.data.error }); return; }
        answer.replaceChildren(el("p", { id: "answered", text: t("answered", { state: accepted ? "accepted" : "rejected" }) }));
      } catch (err) { msg.textContent = t("error", { msg: err.message }); }
    };
    answer.replaceChildren(el("h2", { text: t("answerTitle") }),
      el("div", { class: "field" }, el("label", { for: "reasons", text: t("reasons") }), reasons),
      el("div", { class: "actions" }, el("button", { type: "button", id: "accept", text: t("accept"), onclick: () => post(true) }),
        el("button", { type: "button", id: "refuse", class: "danger", text: t("refuse"), onclick: () => post(false) })), msg);
  }

  // ---- upload (uploaders) --------------------------------------------------------------------
  function uploadView() {
    const out = el("p", { id: "sent", role: "status" });
    const prog = el("progress", { id: "progress", max: "1", value: "0", hidden: true, "aria-label": t("progress") });
    const field = (id, label, node) => el("div", { class: "field" }, el("label", { for: id, text: label }), node);
    const files = el("input", { id: "files", type: "file", multiple: true });
    const folder = el("input", { id: "folder", type: "file", webkitdirectory: true });
    const cps = el("input", { id: "counterparts", type: "text", required: true, placeholder: "nl-om, es-fge" });
    const basis = el("input", { id: "basis", type: "text", placeholder: "EU-EIO" });
    const code = el("select", { id: "hcode" }, ...["", "H0", "H1", "H2", "H3"].map((c) => el("option", { value: c, text: c || "—" })));
    const caseRef = el("input", { id: "caseref", type: "text" });
    const reqRef = el("input", { id: "reqref", type: "text" });
    const from = el("input", { id: "requesting", type: "text", maxlength: "2", placeholder: "ES" });
    const to = el("input", { id: "requested", type: "text", maxlength: "2", placeholder: "NL" });
    const report = (st) => st.ingest
      ? t("sent", { id: st.upload.bundle.slice(0, 12) + "…", outcome: st.ingest.accepted ? t("state_accepted") : t("rejected") + ": " + (st.ingest.reasons || []).join("; ") })
      : t("error", { msg: st.error || "" });
    const make = el("form", { id: "make", onsubmit: async (e) => {
      e.preventDefault(); out.textContent = "";
      const chosen = [...files.files, ...folder.files];
      const fields = cps.value.split(/[\s,]+/).filter(Boolean).map((c) => ["EVX-Counterpart", c]).concat([
        ["EVX-Legal-Basis", basis.value.trim()], ["EVX-Handling-Code", code.value], ["External-Identifier", caseRef.value.trim()],
        ["EVX-Request-Reference", reqRef.value.trim()], ["EVX-Requesting-State", from.value.trim().toUpperCase()], ["EVX-Requested-State", to.value.trim().toUpperCase()]]);
      try {
        prog.hidden = false; prog.value = 0;
        out.textContent = t("hashing");
        const bag = await window.evxBag.build(chosen, fields, (n, total) => { prog.max = total || 1; prog.value = n; });
        out.textContent = t("sending", { n: bag.documents.length });
        const r = await window.evxBag.send(bag.blob, session.csrf, (n, total) => { prog.max = total || 1; prog.value = n; });
        out.textContent = report(r.data);
        list.refresh();
      } catch (err) { out.textContent = t("error", { msg: err.message }); }
    } },
      el("h2", { text: t("makeTitle") }), el("p", { class: "hint", text: t("makeHelp") }),
      el("div", { class: "grid" }, field("files", t("filesLabel"), files), field("folder", t("folderLabel"), folder),
        field("counterparts", t("counterpartsLabel"), cps), field("basis", t("legalBasis"), basis), field("hcode", t("handlingCode"), code),
        field("caseref", t("caseRef"), caseRef), field("reqref", t("requestRef"), reqRef), field("requesting", t("requestingState"), from),
        field("requested", t("requestedState"), to)),
      el("div", { class: "actions" }, el("button", { type: "submit", id: "bagsend", text: t("bagAndSend") })));
    const bagFile = el("input", { id: "bag", type: "file", accept: ".zip,.tar,.gz,.tgz" });
    const sendBag = el("form", { id: "sendbag", onsubmit: async (e) => {
      e.preventDefault(); out.textContent = "";
      if (!bagFile.files[0]) return;
      try {
        prog.hidden = false;
        const r = await window.evxBag.send(bagFile.files[0], session.csrf, (n, total) => { prog.max = total || 1; prog.value = n; });
        out.textContent = report(r.data);
        list.refresh();
      } catch (err) { out.textContent = t("error", { msg: err.message }); }
    } },
      el("h2", { text: t("uploadTitle") }), el("p", { class: "hint", text: t("uploadHelp") }),
      field("bag", t("bagFile"), bagFile), el("div", { class: "actions" }, el("button", { type: "submit", id: "send", class: "secondary", text: t("send") })));
    const list = { refresh: () => {} };
    const form = searchView(t("myBundles"));
    list.refresh = () => form.requestSubmit();
    main.prepend(make, prog, out, sendBag);
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
    else uploadView();
    main.focus();
  }
  document.getElementById("lang").addEventListener("change", (e) => { lang = e.target.value; render(); });
  document.getElementById("signout").addEventListener("click", async () => {
    try { await api("DELETE", "/v1/session"); } catch (e) { /* already ended */ }
    session = null; location.hash = ""; render();
  });
  window.addEventListener("hashchange", render);
  (async () => {
    try { const r = await fetch("/v1/session", { credentials: "same-origin" }); if (r.ok) session = await r.json(); } catch (e) { /* offline */ }
    render();
  })();
})();
