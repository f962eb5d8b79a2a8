import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import type { Browser, Page } from "playwright-core";
import { EXIT, main } from "../../src/cli/main.js";
import { conversationHref } from "../../src/console/pages.js";
import { CERTS } from "../helpers/certs.js";
import { ConsoleNetwork, OPERATOR } from "../helpers/console-network.js";

/**
 * The console in a real browser (playwright-core driving Debian's chromium; skipped when /usr/bin/chromium is
 * absent): an operator logs in, finds a letter sent in the test, opens it, downloads its evidence bundle and
 * verifies it offline, cancels one still in the outbox, retries
 * a failing one once its receiver is back, marks the cancelled one handled, and sees a new letter appear in the
 * list by live refresh. The README's screenshots (docs/console/) are taken here.
 */

const CHROMIUM = "/usr/bin/chromium";
/**
 * Where the screenshots go: the README's folder when DPI_AP_UPDATE_SCREENSHOTS=1 (to refresh them), else a temp
 * folder, so a test run leaves the work tree as it was.
 */
const SHOTS = process.env.DPI_AP_UPDATE_SCREENSHOTS === "1" ? path.resolve(import.meta.dirname, "../../docs/console") : path.join(os.tmpdir(), "dpi-ap-console-shots");

describe("e2e (browser): the operator console in chromium", function () {
  this.timeout(180_000);
  let n: ConsoleNetwork | undefined;
  let browser: Browser | undefined;
  let page: Page;
  let delivered: string;
  let failingA: string;
  let failingB: string;

  before(async function () {
    if (!existsSync(CHROMIUM)) return this.skip();
    const { chromium } = await import("playwright-core");
    n = await ConsoleNetwork.start();
    ({ delivered, failingA, failingB } = await n.deliveredAndTwoFailing());
    // As root (CI) chromium's sandbox cannot start; the page is our own, served on loopback.
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
    page = await (await browser.newContext({ viewport: { width: 1400, height: 900 }, acceptDownloads: true })).newPage();
  });
  after(async () => {
    await browser?.close();
    await n?.close();
  });

  const url = (p: string) => `${n!.c2.url}${p}`;
  const notice = () => page.locator("p.notice").first().textContent();

  it("logs in", async () => {
    await page.goto(url("/console"));
    expect(new URL(page.url()).pathname).to.equal("/console/login");
    await page.fill('input[name="user"]', OPERATOR.user);
    await page.fill('input[name="password"]', OPERATOR.password);
    await page.click('button[type="submit"]');
    await page.waitForURL(url("/console"));
    expect(await page.locator("h1").textContent()).to.equal("Conversations");
  });

  it("finds the letter sent in the test by its message id and opens it", async () => {
    await page.fill('input[name="q"]', delivered);
    await page.click("form.filters button");
    await page.waitForURL((u) => u.searchParams.get("q") === delivered);
    expect(await page.locator("table.list tbody tr").count()).to.equal(1);
    await page.click(`a[href="${conversationHref("OUT", delivered)}"]`);
    await page.waitForURL(url(conversationHref("OUT", delivered)));
    expect(await page.locator("ol.timeline li .badge").allTextContents()).to.deep.equal(["OPPRETTET", "SENDT"]);
    expect(await page.locator("text=receipt we got for our UserMessage").count()).to.equal(1);
  });

  it("downloads the letter's evidence bundle, which verifies offline", async () => {
    const [download] = await Promise.all([page.waitForEvent("download"), page.click("a.evidence")]);
    expect(download.suggestedFilename()).to.equal(`evidence-${delivered}.zip`);
    const dir = await mkdtemp(path.join(os.tmpdir(), "console-browser-"));
    try {
      const file = path.join(dir, download.suggestedFilename());
      await download.saveAs(file);
      const trust = ["business/root-ca.pem", "business/intermediate-ca.pem", "ap/root-ca.pem", "ap/intermediate-ca.pem"].flatMap((t) => ["--trust", path.join(CERTS, t)]);
      let out = "";
      const io = { stdout: (t: string) => void (out += t), stderr: (t: string) => void (out += t), env: {}, now: () => new Date() };
      expect(await main(["evidence", "verify", file, ...trust], io), out).to.equal(EXIT.ok);
      expect(out).to.match(/\nVerdict: verified\n$/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("cancels a letter still in the outbox", async () => {
    await page.goto(url(conversationHref("OUT", failingB)));
    await page.fill('form[action$="/cancel"] textarea[name="note"]', "wrong recipient");
    await page.click('form[action$="/cancel"] button');
    await page.waitForURL((u) => u.searchParams.get("done") === "cancel");
    expect(await notice()).to.equal("Sending was cancelled.");
    expect(await n!.statusOf(failingB)).to.equal("FEILET");
  });

  it("retries a failing letter once its receiver is back", async () => {
    await n!.startC3();
    await page.goto(url(conversationHref("OUT", failingA)));
    expect(await page.locator("dl.facts").nth(1).textContent()).to.match(/Last error/);
    await page.click('form[action$="/retry"] button');
    await page.waitForURL((u) => u.searchParams.get("done") === "retry");
    expect(await notice()).to.equal("The message is due now; the outbox has been woken.");
    await n!.waitFor(failingA, "SENDT");
    await page.goto(url(conversationHref("OUT", failingA)));
    expect(await page.locator("ol.timeline li .badge").allTextContents()).to.deep.equal(["OPPRETTET", "retry now", "SENDT"]);
    await mkdir(SHOTS, { recursive: true });
    await page.screenshot({ path: path.join(SHOTS, "conversation.png"), fullPage: true });
  });

  it("marks the cancelled letter manually handled with a note", async () => {
    await page.goto(url(conversationHref("OUT", failingB)));
    await page.fill('form[action$="/mark-handled"] textarea[name="note"]', "Sent by post instead");
    await page.click('form[action$="/mark-handled"] button');
    await page.waitForURL((u) => u.searchParams.get("done") === "mark-handled");
    expect(await notice()).to.equal("Marked as manually handled.");
    const last = page.locator("ol.timeline li").last();
    expect(await last.locator(".badge").textContent()).to.equal("MANUELT_HÅNDTERT");
    expect(await last.textContent()).to.include("Sent by post instead");
    expect(await page.locator('form[action$="/mark-handled"]').count()).to.equal(0);
  });

  it("shows a new letter in the list by live refresh, without a reload", async () => {
    await page.goto(url("/console"));
    const before = await page.locator("table.list tbody tr").count();
    const fresh = await n!.sendLetter();
    await page.locator(`a[href="${conversationHref("OUT", fresh)}"]`).waitFor({ timeout: 15_000 });
    expect(await page.locator("table.list tbody tr").count()).to.equal(before + 1);
    await n!.waitFor(fresh, "SENDT");
    await page.reload();
    await page.screenshot({ path: path.join(SHOTS, "list.png"), fullPage: true });
  });

  it("shows the overview's plots", async () => {
    await page.click('header a[href="/console/overview"]');
    await page.waitForURL(url("/console/overview"));
    expect(await page.locator("svg.chart").count()).to.equal(4);
    expect(await page.locator('svg[aria-label="Conversations by channel, direction and status"] text.lbl').allTextContents()).to.include("DPI OUT SENDT");
    await page.screenshot({ path: path.join(SHOTS, "overview.png"), fullPage: true });
  });
});
