/**
 * The simulator's own pages: the login form a user sees at /authorize, and the error page for a request that
 * cannot be sent back to its client. Plain HTML with every value escaped; the form posts back to /authorize,
 * as a real provider's does, so a test drives it with an ordinary form post.
 */

const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ESCAPES[c]!);

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)} · OIDC provider simulator</title>
<style>body{font:15px system-ui,sans-serif;max-width:26rem;margin:3rem auto;padding:0 1rem}label{display:block;margin:.6rem 0}input{width:100%;padding:.3rem}
.err{color:#a40e26}button{margin:.8rem .4rem 0 0;padding:.35rem 1rem}</style></head>
<body>${body}</body></html>`;
}

export function loginForm(o: { requestId: string; clientId: string; providerName: string; error?: string; username?: string }): string {
  return page(
    "Log in",
    `<h1>${esc(o.providerName)}</h1>
<p>Log in to continue to <strong>${esc(o.clientId)}</strong>.</p>
${o.error ? `<p class="err" role="alert">${esc(o.error)}</p>` : ""}
<form method="post" action="/authorize">
<input type="hidden" name="request" value="${esc(o.requestId)}">
<label>User name <input name="username" autocomplete="username" value="${esc(o.username ?? "")}" required></label>
<label>Password <input name="password" type="password" autocomplete="current-password"></label>
<button type="submit" name="action" value="login">Log in</button><button type="submit" name="action" value="cancel" formnovalidate>Cancel</button>
</form>`,
  );
}

export function errorPage(title: string, message: string): string {
  return page(title, `<h1>${esc(title)}</h1><p class="err">${esc(message)}</p>`);
}
