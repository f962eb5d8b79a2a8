import { expect } from "chai";
import { consoleHref, escapeHtml, html, trusted } from "../../src/console/html.js";
import { conversationHref, formatTime } from "../../src/console/pages.js";

describe("console/html: the tagged template escapes every value", () => {
  const HOSTILE = [
    `<script>alert(1)</script>`,
    `"><img src=x onerror=alert(1)>`,
    `' onmouseover='alert(1)`,
    "`${alert(1)}`",
    `</textarea><svg onload=alert(1)>`,
    `&lt;already escaped&gt;`,
    `javascript:alert(1)`,
  ];

  it("escapes & < > \" ' and ` in text", () => {
    expect(escapeHtml(`<a href="x" title='y'>&\`</a>`)).to.equal("&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&#96;&lt;/a&gt;");
  });

  it("leaves no markup character of a hostile value, in text or in a quoted attribute", () => {
    for (const v of HOSTILE) {
      const out = html`<p title="${v}">${v}</p>`.markup;
      const m = /^<p title="([^"]*)">([^<]*)<\/p>$/.exec(out);
      expect(m, out).to.not.equal(null);
      for (const part of [m![1]!, m![2]!]) {
        expect(part, v).to.not.match(/[<>"'`]/);
        expect(part).to.equal(escapeHtml(v));
      }
    }
  });

  it("escapes `&` so an escaped-looking value stays text", () => {
    expect(html`${"&lt;b&gt;"}`.markup).to.equal("&amp;lt;b&amp;gt;");
  });

  it("keeps nested templates as markup and escapes strings inside lists", () => {
    const items = ["<x>", html`<b>${"<y>"}</b>`];
    expect(html`<ul>${items.map((i) => html`<li>${i}</li>`)}</ul>`.markup).to.equal("<ul><li>&lt;x&gt;</li><li><b>&lt;y&gt;</b></li></ul>");
  });

  it("renders null, undefined and booleans as nothing, numbers as text", () => {
    expect(html`[${null}${undefined}${false}${true}${0}${42}]`.markup).to.equal("[042]");
  });

  it("passes `trusted` constants through unchanged, and only those", () => {
    expect(html`${trusted("<hr>")}${"<hr>"}`.markup).to.equal("<hr>&lt;hr&gt;");
  });

  it("treats an object that merely looks like markup as text", () => {
    const fake = { markup: "<script>x</script>", toString: () => "<script>x</script>" };
    expect(html`${fake as unknown as string}`.markup).to.equal("&lt;script&gt;x&lt;/script&gt;");
  });

  it("builds console links with every part URL-encoded", () => {
    expect(consoleHref("", { q: `"><script>`, channel: "DPI", page: 2, status: "" })).to.equal("/console?q=%22%3E%3Cscript%3E&channel=DPI&page=2");
    expect(conversationHref("OUT", `a/../b?c=<d>`)).to.equal("/console/conversations/OUT/a%2F..%2Fb%3Fc%3D%3Cd%3E");
    // And escaped once more where it lands in an attribute.
    expect(html`<a href="${consoleHref("", { q: `x"y` })}">`.markup).to.equal('<a href="/console?q=x%22y">');
  });

  it("shows times in UTC with a Z", () => {
    expect(formatTime(new Date("2026-12-03T06:20:05.123Z"))).to.equal("2026-12-03 06:20:05Z");
    expect(formatTime(null)).to.equal("");
  });
});
