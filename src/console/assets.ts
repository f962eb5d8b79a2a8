/**
 * The console's only static files, served by the app itself (no internet at run time, nothing to build): one
 * style sheet and one small script that refreshes the live part of a page. Kept as strings so the compiled
 * build (tsc only) carries them without a copy step.
 */

export const CONSOLE_CSS = `
:root { --fg:#1f2328; --muted:#59636e; --line:#d1d9e0; --bg:#fff; --soft:#f6f8fa; --accent:#0969da; --bad:#cf222e; --ok:#1a7f37; --warn:#9a6700; }
* { box-sizing: border-box; }
body { margin:0; font:14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color:var(--fg); background:var(--bg); }
header.top { display:flex; gap:1.5rem; align-items:center; padding:.6rem 1.2rem; background:#24292f; color:#fff; }
header.top a { color:#fff; text-decoration:none; font-weight:600; }
header.top .who { margin-left:auto; display:flex; gap:.8rem; align-items:center; color:#d0d7de; }
header.top form { margin:0; }
main { padding:1rem 1.2rem 3rem; max-width:1500px; }
h1 { font-size:1.35rem; margin:.2rem 0 1rem; }
h2 { font-size:1.1rem; margin:1.6rem 0 .6rem; border-bottom:1px solid var(--line); padding-bottom:.3rem; }
a { color:var(--accent); }
table { border-collapse:collapse; width:100%; }
th, td { text-align:left; padding:.35rem .5rem; border-bottom:1px solid var(--line); vertical-align:top; }
th { background:var(--soft); font-weight:600; white-space:nowrap; }
td.mono, .mono { font-family:ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size:12.5px; word-break:break-all; }
td.nowrap { white-space:nowrap; word-break:normal; }
tr:hover td { background:#f3f7fb; }
form.filters { display:flex; flex-wrap:wrap; gap:.5rem .8rem; align-items:flex-end; background:var(--soft); padding:.7rem; border:1px solid var(--line); border-radius:6px; }
form.filters label { display:flex; flex-direction:column; font-size:12px; color:var(--muted); }
input, select, textarea, button { font:inherit; }
input, select, textarea { padding:.3rem .4rem; border:1px solid var(--line); border-radius:4px; background:#fff; }
button { padding:.35rem .8rem; border:1px solid var(--line); border-radius:5px; background:#f6f8fa; cursor:pointer; }
button.primary { background:var(--accent); color:#fff; border-color:var(--accent); }
button.danger { background:var(--bad); color:#fff; border-color:var(--bad); }
.badge { display:inline-block; padding:0 .45rem; border-radius:10px; font-size:12px; font-weight:600; background:#eaeef2; white-space:nowrap; }
.badge.err { background:#ffebe9; color:var(--bad); }
.badge.ok { background:#dafbe1; color:var(--ok); }
.badge.wait { background:#fff8c5; color:var(--warn); }
.badge.handled { background:#ddf4ff; color:#0550ae; }
.muted { color:var(--muted); }
.pager { display:flex; gap:1rem; align-items:center; margin:.7rem 0; }
dl.facts { display:grid; grid-template-columns:max-content 1fr; gap:.25rem 1rem; margin:0; }
dl.facts dt { color:var(--muted); }
dl.facts dd { margin:0; }
.cols th { white-space:normal; }
.cols { display:grid; grid-template-columns:repeat(auto-fit, minmax(400px, 1fr)); gap:1rem 2rem; }
ol.timeline { list-style:none; padding:0; margin:0; border-left:3px solid var(--line); }
ol.timeline li { margin:0 0 .7rem; padding-left:.9rem; position:relative; }
ol.timeline li::before { content:""; position:absolute; left:-8px; top:.35rem; width:11px; height:11px; border-radius:50%; background:var(--accent); }
ol.timeline li.action::before { background:#8250df; }
ol.timeline li.err::before { background:var(--bad); }
details > summary { cursor:pointer; color:var(--accent); }
pre.raw { max-height:360px; overflow:auto; background:var(--soft); border:1px solid var(--line); padding:.5rem; font-size:12px; white-space:pre-wrap; word-break:break-all; }
.actions { display:flex; flex-wrap:wrap; gap:1rem; align-items:flex-start; }
.actions form { display:flex; gap:.4rem; align-items:flex-start; background:var(--soft); border:1px solid var(--line); border-radius:6px; padding:.6rem; }
.notice { padding:.6rem .8rem; border-radius:6px; margin:.6rem 0; border:1px solid var(--line); background:var(--soft); }
.notice.err { border-color:#ffcecb; background:#ffebe9; }
.notice.ok { border-color:#aceebb; background:#dafbe1; }
.login { max-width:340px; margin:8vh auto; padding:1.4rem; border:1px solid var(--line); border-radius:8px; }
.login label { display:block; margin:.6rem 0; }
.login input { width:100%; }
.login p.or { text-align:center; color:var(--muted); margin:1rem 0 .4rem; }
a.button { display:inline-block; padding:.35rem .8rem; border:1px solid var(--line); border-radius:5px; background:#f6f8fa; text-decoration:none; color:var(--fg); }
a.button.primary { background:var(--accent); color:#fff; border-color:var(--accent); }
svg.chart { max-width:100%; height:auto; }
svg.chart .lbl, svg.chart .val, svg.chart .tick { font:12px system-ui, sans-serif; fill:#1f2328; }
svg.chart .axis { stroke:#8c959f; }
.live { font-size:12px; color:var(--muted); }
`;

export const CONSOLE_JS = `
// Live refresh: a page with data-refresh="<seconds>" on <main> fetches itself again and swaps in its #live part,
// unless the operator switched live refresh off or is typing in a form. Nothing else runs in the browser.
(function () {
  var main = document.querySelector("main[data-refresh]");
  if (!main) return;
  var seconds = Number(main.getAttribute("data-refresh"));
  if (!(seconds > 0)) return;
  var toggle = document.getElementById("live-toggle");
  function busy() {
    var a = document.activeElement;
    return a && (a.tagName === "INPUT" || a.tagName === "TEXTAREA" || a.tagName === "SELECT") && a !== toggle;
  }
  function tick() {
    if ((toggle && !toggle.checked) || busy()) return;
    fetch(location.href, { credentials: "same-origin", headers: { accept: "text/html", "x-console-refresh": "1" } })
      .then(function (r) { return r.status === 200 ? r.text() : null; })
      .then(function (text) {
        if (!text) return;
        var fresh = new DOMParser().parseFromString(text, "text/html").getElementById("live");
        var current = document.getElementById("live");
        if (!fresh || !current) return;
        current.replaceWith(document.importNode(fresh, true));
        var stamp = document.getElementById("refreshed");
        if (stamp) stamp.textContent = "updated " + new Date().toLocaleTimeString();
      })
      .catch(function () {});
  }
  setInterval(tick, seconds * 1000);
})();
`;
