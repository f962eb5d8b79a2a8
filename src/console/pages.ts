import { CHANNELS } from "../core/status/index.js";
import type { Offered } from "./actions.js";
import { MANUALLY_HANDLED, MAX_NOTE_LENGTH } from "./actions.js";
import { CSRF_FIELD } from "./csrf.js";
import { consoleHref, html, type Html, type HtmlValue } from "./html.js";
import { isErrorStatus, MAX_ATTEMPTS_SHOWN, type ConversationView, type ListRow, type Overview, type TimelineEvent } from "./queries.js";
import type { RoutingRecord, SendAttempt } from "../store/generated/client.js";
import type { Session } from "./sessions.js";
import { CHANNEL_COLOURS, horizontalBars, stackedColumns } from "./svg.js";

/**
 * The console's pages: plain server-rendered HTML, every value escaped by `html`. Times are shown in UTC with a
 * Z, as the store keeps them, so two operators in different places read the same time.
 */

/** A time as the console shows it: "2026-12-03 06:20:00Z". */
export function formatTime(d: Date | null | undefined): string {
  if (!d) return "";
  return d.toISOString().replace("T", " ").replace(/\.\d{3}Z$/, "Z");
}

export function conversationHref(direction: string, messageId: string): string {
  return `/console/conversations/${encodeURIComponent(direction)}/${encodeURIComponent(messageId)}`;
}

const csrfInput = (s: Session) => html`<input type="hidden" name="${CSRF_FIELD}" value="${s.csrfToken}">`;

interface LayoutOptions {
  /** Seconds between live refreshes of the #live part; 0 or absent: none. */
  refresh?: number | undefined;
  /** More of the head (a constant, never request data). */
  head?: Html;
}

export function layout(title: string, session: Session | null, body: HtmlValue, opts: LayoutOptions = {}): Html {
  const nav = session
    ? html`<a href="/console">Conversations</a><a href="/console/overview">Overview</a>
      <span class="who"><span>${session.user} (${session.role})</span>
      <form method="post" action="/console/logout">${csrfInput(session)}<button type="submit">Log out</button></form></span>`
    : html``;
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · dpi-ap console</title><link rel="stylesheet" href="/console/assets/console.css">
<script src="/console/assets/console.js" defer></script>${opts.head ?? html``}</head>
<body><header class="top"><a href="/console">dpi-ap console</a>${nav}</header>
<main${opts.refresh ? html` data-refresh="${opts.refresh}"` : html``}>${body}</main></body></html>`;
}

export interface LoginPageOptions {
  /** The login form's CSRF token: password login is offered. */
  passwordToken?: string | undefined;
  /** OIDC login is offered, at this provider ("Log in with <name>"). */
  oidcName?: string | undefined;
  error?: string | undefined;
  user?: string | undefined;
}

export function loginPage(opts: LoginPageOptions): Html {
  const password = opts.passwordToken
    ? html`<form method="post" action="/console/login">
  <input type="hidden" name="${CSRF_FIELD}" value="${opts.passwordToken}">
  <label>User <input name="user" autocomplete="username" required value="${opts.user ?? ""}"></label>
  <label>Password <input name="password" type="password" autocomplete="current-password" required></label>
  <button class="primary" type="submit">Log in</button>
</form>`
    : html``;
  // A link, not a form: the answer redirects to the provider, which the CSP's form-action 'self' would block.
  const oidc = opts.oidcName ? html`${opts.passwordToken ? html`<p class="or">or</p>` : html``}<p><a class="button primary" id="oidc-login" href="/console/oidc/login">Log in with ${opts.oidcName}</a></p>` : html``;
  return layout(
    "Log in",
    null,
    html`<div class="login">
  <h1>Log in</h1>
  ${opts.error ? html`<p class="notice err" role="alert">${opts.error}</p>` : html``}
  ${password}${oidc}
</div>`,
  );
}

/**
 * After an OIDC login: the session cookie is SameSite=Strict, and a browser does not send it on the redirect
 * chain that began at the provider, so this page (same-site) moves on to the console itself.
 */
export function loggedInPage(): Html {
  return layout("Logged in", null, html`<p class="notice ok">Logged in. <a id="continue" href="/console">Continue to the console</a></p>`, { head: html`<meta http-equiv="refresh" content="0;url=/console">` });
}

export function errorPage(session: Session | null, title: string, message: string): Html {
  return layout(title, session, html`<h1>${title}</h1><p class="notice err">${message}</p><p><a href="/console">Back to the conversations</a></p>`);
}

function statusBadge(channel: string, direction: string, status: string): Html {
  const cls = isErrorStatus(channel, direction, status) ? "err" : ["LEVERT", "LEST", "INNKOMMENDE_LEVERT"].includes(status) ? "ok" : "";
  return html`<span class="badge ${cls}">${status}</span>`;
}

/** The list's query as typed (strings), to fill the form and build the pager's links. */
export type ListQuery = Record<"channel" | "direction" | "status" | "sender" | "receiver" | "from" | "to" | "q", string>;

export interface ListPageData {
  query: ListQuery;
  rows: ListRow[];
  total: number;
  page: number;
  size: number;
  statusNames: string[];
  refresh: number;
  problems: string[];
}

function option(value: string, label: string, selected: string): Html {
  return html`<option value="${value}"${value === selected ? html` selected` : html``}>${label}</option>`;
}

export function listPage(session: Session, d: ListPageData): Html {
  const q = d.query;
  const statuses = [...new Set([...d.statusNames, ...(q.status ? [q.status] : [])])];
  const pages = Math.max(1, Math.ceil(d.total / d.size));
  const link = (page: number) => consoleHref("", { ...q, page: page + 1, size: d.size === 50 ? undefined : d.size });
  const filters = html`<form class="filters" method="get" action="/console">
  <label>Channel <select name="channel">${option("", "any", q.channel)}${CHANNELS.map((c) => option(c, c, q.channel))}</select></label>
  <label>Direction <select name="direction">${option("", "any", q.direction)}${option("OUT", "outgoing", q.direction)}${option("IN", "incoming", q.direction)}</select></label>
  <label>Status <select name="status">${option("", "any", q.status)}${statuses.map((s) => option(s, s, q.status))}</select></label>
  <label>Sender <input name="sender" value="${q.sender}" placeholder="0192:… or name" size="16"></label>
  <label>Receiver <input name="receiver" value="${q.receiver}" placeholder="0192:… or name" size="16"></label>
  <label>Created from (UTC) <input type="datetime-local" name="from" value="${q.from}"></label>
  <label>to (UTC) <input type="datetime-local" name="to" value="${q.to}"></label>
  <label>Message id, conversation id, title, reference <input name="q" value="${q.q}" size="30"></label>
  <button class="primary" type="submit">Filter</button> <a href="/console">clear</a>
</form>`;
  const rows = d.rows.map(
    (r) => html`<tr>
  <td class="mono">${formatTime(r.createdAt)}</td>
  <td>${r.channel}</td><td>${r.direction}</td>
  <td>${statusBadge(r.channel, r.direction, r.status)}${r.handled ? html` <span class="badge handled">${MANUALLY_HANDLED}</span>` : html``}${r.nextAttemptAt && r.direction === "OUT" ? html` <span class="badge wait" title="${r.lastError ?? ""}">in outbox${r.attempts ? html` · ${r.attempts} attempts` : html``}</span>` : html``}</td>
  <td class="mono"><a href="${conversationHref(r.direction, r.messageId)}">${r.messageId}</a><br><span class="muted">${r.conversationId}</span></td>
  <td>${r.documentType}</td>
  <td class="mono">${r.sender}${r.senderName ? html`<br><span class="muted">${r.senderName}</span>` : html``}</td>
  <td class="mono">${r.receiver}${r.receiverName ? html`<br><span class="muted">${r.receiverName}</span>` : html``}</td>
  <td>${r.title ?? ""}${r.reference ? html`<br><span class="muted">${r.reference}</span>` : html``}</td>
</tr>`,
  );
  const body = html`<h1>Conversations</h1>
${filters}
${d.problems.map((p) => html`<p class="notice err">${p}</p>`)}
<div id="live">
<div class="pager"><span><strong>${d.total}</strong> conversations, newest first · page ${d.page + 1} of ${pages}</span>
${d.page > 0 ? html`<a href="${link(d.page - 1)}" rel="prev">← newer</a>` : html``}
${d.page + 1 < pages ? html`<a href="${link(d.page + 1)}" rel="next">older →</a>` : html``}
${d.refresh ? html`<label class="live"><input type="checkbox" id="live-toggle" checked> live (every ${d.refresh} s) <span id="refreshed"></span></label>` : html``}</div>
<table class="list"><thead><tr><th>Created</th><th>Channel</th><th>Dir</th><th>Status</th><th>Message id / conversation id</th><th>Type</th><th>Sender</th><th>Receiver</th><th>Title / reference</th></tr></thead>
<tbody>${d.rows.length ? rows : html`<tr><td colspan="9" class="muted">No conversation matches.</td></tr>`}</tbody></table>
</div>`;
  return layout("Conversations", session, body, { refresh: d.refresh });
}

function timelineItem(e: TimelineEvent, channel: string, direction: string): Html {
  if (e.kind === "status") {
    return html`<li class="${isErrorStatus(channel, direction, e.status) ? "err" : ""}"><span class="mono">${formatTime(e.at)}</span> ${statusBadge(channel, direction, e.status)}
  ${e.description ? html`<div>${e.description}</div>` : html``}
  ${e.rawReceipt ? html`<details><summary>raw receipt / status message (${e.rawReceipt.length} characters)</summary><pre class="raw">${e.rawReceipt}</pre></details>` : html``}</li>`;
  }
  const label = e.action === "mark-handled" ? MANUALLY_HANDLED : e.action === "cancel" ? "cancelled" : "retry now";
  return html`<li class="action"><span class="mono">${formatTime(e.at)}</span> <span class="badge handled">${label}</span> by <strong>${e.user}</strong> in the console
  ${e.status ? html`<span class="muted">(registered ${e.status})</span>` : e.action === "mark-handled" ? html`<span class="muted">(recorded by the console only: this channel's status model allows no ${MANUALLY_HANDLED} after this history)</span>` : html``}
  ${e.note ? html`<div>${e.note}</div>` : html``}</li>`;
}

function fact(label: string, value: HtmlValue, mono = false): Html {
  if (value === null || value === undefined || value === "") return html``;
  return html`<dt>${label}</dt><dd${mono ? html` class="mono"` : html``}>${value}</dd>`;
}

const OUTCOME_CLASS: Record<string, string> = { sent: "ok", retry: "wait", failed: "err" };

/** The routing record's anchor on the page, which each attempt routed by it links to. */
const recordAnchor = (sha256: string) => `routing-${sha256.slice(0, 16)}`;

function attemptRow(a: SendAttempt): Html {
  const ms = a.finishedAt.getTime() - a.startedAt.getTime();
  return html`<tr><td>${a.attempt}</td><td class="mono nowrap">${formatTime(a.startedAt)}</td><td class="mono nowrap">${ms} ms</td>
  <td class="mono">${a.peer ?? ""}</td><td><span class="badge ${OUTCOME_CLASS[a.outcome] ?? ""}">${a.outcome}</span></td><td>${a.error ?? ""}</td>
  <td class="mono">${a.routingSha256 ? html`<a href="#${recordAnchor(a.routingSha256)}">${a.routingSha256.slice(0, 12)}…</a>` : ""}</td><td class="mono muted">${a.worker ?? ""}</td></tr>`;
}

/** A routing record with its raw text (and a signed Service Registry answer's payload, decoded). */
function routingRecord(r: RoutingRecord): Html {
  const text = Buffer.from(r.body).toString("utf8");
  const payload = r.mediaType === "application/jose" ? jwsPayload(text) : undefined;
  return html`<section id="${recordAnchor(r.sha256)}" class="record"><dl class="facts">
${fact("Kind", r.kind === "smp" ? "SMP SignedServiceMetadata" : "Service Registry answer")}${fact("Source", r.sourceUrl, true)}${fact("Fetched at", formatTime(r.fetchedAt), true)}
${fact("SHA-256", r.sha256, true)}${fact("Media type", r.mediaType, true)}
</dl>
<details><summary>raw record (${r.body.length} bytes)</summary><pre class="raw">${text}</pre></details>
${payload !== undefined ? html`<details><summary>signed payload (decoded)</summary><pre class="raw">${payload}</pre></details>` : html``}</section>`;
}

/** The payload of a compact JWS as text, pretty-printed when it is JSON; undefined when it is not a compact JWS. */
function jwsPayload(jws: string): string | undefined {
  const part = jws.trim().split(".")[1];
  if (part === undefined) return undefined;
  const text = Buffer.from(part, "base64url").toString("utf8");
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

export interface ConversationPageData {
  view: ConversationView;
  offered: Offered;
  notice?: { ok: boolean; text: string } | undefined;
}

export function conversationPage(session: Session, d: ConversationPageData): Html {
  const { view } = d;
  const c = view.conversation;
  const operator = session.role === "operator";
  const self = conversationHref(c.direction, c.messageId);
  const actionForm = (path: string, label: string, cls: string, note: "none" | "optional" | "required") =>
    html`<form method="post" action="${self}/${path}">${csrfInput(session)}${
      note === "none"
        ? html``
        : html`<textarea name="note" rows="2" cols="34" maxlength="${MAX_NOTE_LENGTH}" placeholder="${note === "required" ? "What was done (required)" : "Why (optional)"}"${note === "required" ? html` required` : html``}></textarea>`
    }<button class="${cls}" type="submit">${label}</button></form>`;
  const anyAction = d.offered.retry || d.offered.cancel || d.offered.markHandled;
  const actions = operator
    ? anyAction
      ? html`<div class="actions">${d.offered.retry ? actionForm("retry", "Retry now", "primary", "none") : html``}${d.offered.cancel ? actionForm("cancel", "Cancel sending", "danger", "optional") : html``}${
          d.offered.markHandled ? actionForm("mark-handled", `Mark ${MANUALLY_HANDLED}`, "", "required") : html``
        }</div>`
      : html`<p class="muted">No action applies to this conversation now.</p>`
    : html`<p class="muted">Read-only: you are logged in as a viewer.</p>`;
  const exchanges = view.exchanges.map(
    (x) => html`<tr><td class="mono">${formatTime(x.createdAt)}</td><td>${x.direction === "OUT" ? "receipt we got for our UserMessage" : "receipt we gave for theirs"}</td>
  <td class="mono">${x.as4MessageId}</td><td class="mono">${x.peerPartyId}</td><td class="mono">${x.receiptMessageId ?? ""}</td>
  <td>${x.receipt ? html`<details><summary>signed receipt (${x.receipt.length} bytes)</summary><pre class="raw">${Buffer.from(x.receipt).toString("utf8")}</pre></details>` : html`<span class="muted">${x.claimedUntil ? "claimed, not answered" : "none"}</span>`}</td></tr>`,
  );
  const related = view.related.map(
    (r) => html`<tr><td class="mono">${formatTime(r.createdAt)}</td><td>${r.channel}</td><td>${r.direction}</td><td>${r.documentType}</td><td>${statusBadge(r.channel, r.direction, r.status)}</td><td class="mono"><a href="${conversationHref(r.direction, r.messageId)}">${r.messageId}</a></td></tr>`,
  );
  const body = html`<h1>${c.channel} ${c.direction === "OUT" ? "outgoing" : "incoming"} ${c.documentType} ${statusBadge(c.channel, c.direction, c.status)}</h1>
${d.notice ? html`<p class="notice ${d.notice.ok ? "ok" : "err"}" role="status">${d.notice.text}</p>` : html``}
${actions}
<p><a class="evidence" href="${self}/evidence.zip" download>Download the evidence bundle (zip)</a> <span class="muted">— check it offline with <span class="mono">dpi-ap evidence verify</span></span></p>
<div class="cols">
<section><h2>Message</h2><dl class="facts">
${fact("Message id", c.messageId, true)}${fact("Conversation id", c.conversationId, true)}${fact("Channel", c.channel)}${fact("Direction", c.direction)}
${fact("Process", c.process, true)}${fact("Document type", c.documentType)}${fact("Standard", c.standard, true)}
${fact("Sender", html`${c.senderIdentifier}${c.senderName ? html` · ${c.senderName}` : html``}`, true)}${fact("Receiver", html`${c.receiverIdentifier}${c.receiverName ? html` · ${c.receiverName}` : html``}`, true)}
${fact("Title", c.messageTitle)}${fact("Reference", c.messageReference)}
${fact("Created", formatTime(c.createdAt), true)}${fact("Updated", formatTime(c.updatedAt), true)}${fact("Expiry", formatTime(c.expiry), true)}
${fact("Finished", c.finished ? "yes" : "no")}${fact("Polled", c.pollable ? `yes, next ${formatTime(c.nextPollAt) || "now"}` : "no")}
${c.direction === "IN" ? fact("Read by the receiver", c.readAt ? formatTime(c.readAt) : "not yet", true) : html``}
</dl></section>
<section><h2>Sending</h2><dl class="facts">
${fact("Attempts", String(c.attempts))}${fact("In the outbox", c.nextAttemptAt ? `yes, next attempt ${formatTime(c.nextAttemptAt)}` : "no")}
${fact("Held by a worker until", formatTime(c.leaseUntil), true)}${fact("Last error", c.lastError)}
</dl>
<h2>Routing recorded</h2><dl class="facts">
${fact("Endpoint of the last failed attempt", c.lastPeer, true)}${fact("Channel's own reference", c.externalReference, true)}
${view.dpi ? html`${fact("AS4 MessageId", view.dpi.as4MessageId, true)}${fact("Kanal", view.dpi.kanal)}${fact("Avsender", view.dpi.avsenderOrg, true)}${fact("Databehandler", view.dpi.databehandlerOrg, true)}${fact("Mottaker", view.dpi.mottakerOrg, true)}` : html``}
${fact("Peer access points (AS4)", [...new Set(view.exchanges.map((x) => x.peerPartyId))].join(", "), true)}
</dl></section>
</div>
<h2>Send attempts</h2>
${view.attempts.length
  ? html`${view.attemptCount > view.attempts.length ? html`<p class="muted">The latest ${MAX_ATTEMPTS_SHOWN} of ${view.attemptCount} attempts.</p>` : html``}<table class="attempts"><thead><tr><th>#</th><th>Started</th><th>Took</th><th>Peer</th><th>Outcome</th><th>Error</th><th>Routed by</th><th>Worker</th></tr></thead><tbody>${view.attempts.map(attemptRow)}</tbody></table>`
  : html`<p class="muted">${c.direction === "OUT" ? "No attempt recorded." : "An incoming message is not sent from here."}</p>`}
<h2>Routed by</h2>
${view.routing.length ? view.routing.map(routingRecord) : html`<p class="muted">No routing record: no attempt looked the receiver up in an SMP or the Service Registry.</p>`}
<h2>Timeline</h2>
<ol class="timeline">${view.timeline.map((e) => timelineItem(e, c.channel, c.direction))}</ol>
<h2>AS4 exchanges</h2>
${view.exchanges.length ? html`<table><thead><tr><th>At</th><th>What</th><th>AS4 MessageId</th><th>Peer</th><th>Receipt MessageId</th><th>Receipt</th></tr></thead><tbody>${exchanges}</tbody></table>` : html`<p class="muted">None recorded.</p>`}
${view.dpi ? html`<h2>Forretningsmelding</h2><details><summary>signed forretningsmelding (${view.dpi.forretningsmelding.length} characters)</summary><pre class="raw">${view.dpi.forretningsmelding}</pre></details>${view.dpi.payloadSha256 ? html`<p class="muted">Dokumentpakke: ${view.dpi.payloadSize} bytes, SHA-256 <span class="mono">${view.dpi.payloadSha256}</span></p>` : html``}` : html``}
${view.nextMove ? html`<h2>NextMove</h2><p class="muted">${view.nextMove.queuedAt ? `queued ${formatTime(view.nextMove.queuedAt)}` : "not queued for sending"} · ${view.nextMove.files.length} files</p>
${view.nextMove.files.length ? html`<ul>${view.nextMove.files.map((f) => html`<li class="mono">${f.filename} (${f.mimeType}, ${f.size} bytes)</li>`)}</ul>` : html``}
<details><summary>StandardBusinessDocument</summary><pre class="raw">${view.nextMove.sbd}</pre></details>` : html``}
<h2>Other messages of this conversation</h2>
${view.related.length ? html`<table><thead><tr><th>Created</th><th>Channel</th><th>Dir</th><th>Type</th><th>Status</th><th>Message id</th></tr></thead><tbody>${related}</tbody></table>` : html`<p class="muted">None.</p>`}`;
  return layout(`${c.channel} ${c.messageId}`, session, body);
}

export function overviewPage(session: Session, o: Overview, refresh: number): Html {
  const seriesSet = new Set<string>(CHANNELS);
  for (const b of o.perHour) for (const k of Object.keys(b.counts)) seriesSet.add(k);
  const series = [...seriesSet];
  const columns = o.perHour.map((b) => ({ label: `${String(b.start.getUTCHours()).padStart(2, "0")}:00`, values: b.counts }));
  const statusBars = o.byStatus.map((r) => ({
    label: `${r.channel} ${r.direction} ${r.status}`,
    value: r.count,
    colour: CHANNEL_COLOURS[r.channel],
    href: consoleHref("", { channel: r.channel, direction: r.direction, status: r.status }),
  }));
  const failureBars = o.failures.slice(0, 15).map((r) => ({ label: r.reason, value: r.count, colour: "#cf222e" }));
  const backlogBars = o.backlog.flatMap((b) => [
    { label: `${b.channel} due now`, value: b.due, colour: CHANNEL_COLOURS[b.channel] },
    { label: `${b.channel} waiting to retry`, value: b.waiting, colour: "#d29922" },
    { label: `${b.channel} being sent`, value: b.sending, colour: "#2da44e" },
  ]);
  const body = html`<h1>Overview</h1>
<div id="live">
${refresh ? html`<p class="live"><label><input type="checkbox" id="live-toggle" checked> live (every ${refresh} s)</label> <span id="refreshed"></span></p>` : html``}
${o.capped ? html`<p class="notice">The per-hour and failure figures read at most 100 000 conversations each and show a sample.</p>` : html``}
<h2>Conversations created per hour, last 24 hours (UTC)</h2>
${stackedColumns("Conversations created per hour by channel", columns, series)}
<div class="cols">
<section><h2>Conversations by channel, direction and status</h2>${horizontalBars("Conversations by channel, direction and status", statusBars)}</section>
<section><h2>Failures by reason</h2>${horizontalBars("Failed conversations by reason", failureBars)}
<p class="muted">Conversations whose status is an error in their channel's model, by their last error (ids, numbers and URLs left out).</p></section>
<section><h2>Outbox backlog</h2>${horizontalBars("Outbox backlog by channel", backlogBars)}
<table><thead><tr><th>Channel</th><th>Due now</th><th>Waiting to retry</th><th>Being sent</th><th>Oldest</th></tr></thead><tbody>
${o.backlog.length ? o.backlog.map((b) => html`<tr><td>${b.channel}</td><td>${b.due}</td><td>${b.waiting}</td><td>${b.sending}</td><td class="mono">${formatTime(b.oldest)}</td></tr>`) : html`<tr><td colspan="5" class="muted">The outbox is empty.</td></tr>`}
</tbody></table></section>
</div>
</div>`;
  return layout("Overview", session, body, { refresh });
}
