"use strict";
// Sign-in through the agency's identity provider, for a deployment whose API takes that
// provider's access tokens (on AWS, the HTTP API's JWT authorizer): the OpenID Connect
// authorization code flow with PKCE (RFC 7636, method S256), as a public client. The page
// asks for the one evx scope of the role the person chose (evx/upload, evx/counterpart,
// evx/legal), since the API takes a caller's role from that scope alone.
//
// The code verifier and the state wait in sessionStorage across the redirect (this tab only)
// and are removed on return; the code is removed from the address bar at once; the access
// token is kept in memory only, never in storage, a cookie or a URL, and is lost on reload
// (the provider's own session signs the person in again). /app/config.json names the
// provider (docs/aws.md); without it the pages sign in with a token and a session cookie.
window.evxOIDC = (function () {
  const KEY = "evx-oidc";
  const b64url = (bytes) => btoa(String.fromCharCode(...new Uint8Array(bytes))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  const random = (n) => b64url(crypto.getRandomValues(new Uint8Array(n)));
  // challenge is the S256 code challenge of a verifier: BASE64URL(SHA-256(ASCII(verifier))).
  async function challenge(verifier) {
    return b64url(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier)));
  }
  // begin sends the browser to the provider to sign in for role.
  async function begin(cfg, role) {
    const verifier = random(32), state = random(16);
    sessionStorage.setItem(KEY, JSON.stringify({ verifier, state, role }));
    const u = new URL(cfg.authorization_endpoint);
    u.search = new URLSearchParams({
      response_type: "code", client_id: cfg.client_id, redirect_uri: cfg.redirect_uri, scope: ["openid", cfg.scopes[role]].join(" "),
      state, code_challenge: await challenge(verifier), code_challenge_method: "S256",
    }).toString();
    location.assign(u.toString());
  }
  // subjectOf reads who the token names, for display only (the API checks the token).
  function subjectOf(token) {
    try {
      const p = JSON.parse(atob(token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/")));
      return p.username || p.email || p.sub || "";
    } catch (e) { return ""; }
  }
  // finish, on the return from the provider (?code=&state= or ?error=), exchanges the code for
  // the access token and returns {token, role, subject, expires}; null when the page was not
  // opened by such a return.
  async function finish(cfg) {
    const q = new URLSearchParams(location.search);
    if (!q.has("code") && !q.has("error")) return null;
    const saved = JSON.parse(sessionStorage.getItem(KEY) || "null");
    sessionStorage.removeItem(KEY);
    history.replaceState(null, "", location.pathname + location.hash);
    if (q.has("error")) throw new Error(q.get("error_description") || q.get("error"));
    if (!saved || q.get("state") !== saved.state) throw new Error("the sign-in answer is not the one this page asked for (state differs); sign in again");
    const res = await fetch(cfg.token_endpoint, {
      method: "POST", credentials: "omit", headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ grant_type: "authorization_code", code: q.get("code"), redirect_uri: cfg.redirect_uri, client_id: cfg.client_id, code_verifier: saved.verifier }).toString(),
    });
    let body = {};
    try { body = await res.json(); } catch (e) { /* not JSON */ }
    if (!res.ok || !body.access_token) throw new Error(body.error_description || body.error || "the identity provider answered " + res.status);
    return { token: body.access_token, role: saved.role, subject: subjectOf(body.access_token), expires: Date.now() + 1000 * (body.expires_in || 3600) };
  }
  return { begin, finish, challenge };
})();
