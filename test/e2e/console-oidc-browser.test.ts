import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import type { Browser, Page } from "playwright-core";
import { conversationHref } from "../../src/console/pages.js";
import { OIDC_SANDBOX } from "../../src/sim/oidc/index.js";
import { ConsoleNetwork } from "../helpers/console-network.js";

/**
 * The console's OIDC login in a real browser (playwright-core driving Debian's chromium; skipped when
 * /usr/bin/chromium is absent): the login page's link leads to the OIDC simulator's form, and its redirect back
 * gives an operator the conversation list, while a user whose groups give no role is refused with a 403 page and
 * no session. The browser reaches the console by the name console.test (mapped to 127.0.0.1 in chromium) and
 * the provider by 127.0.0.1, so the two are different sites, as in a deployment: the login's cookie must be
 * SameSite=Lax to come back with the provider's redirect, and the SameSite=Strict session cookie is only sent
 * once the browser moves on from a page of the console's own.
 */

const CHROMIUM = "/usr/bin/chromium";
const CONSOLE_HOST = "console.test";
const SHOTS = process.env.DPI_AP_UPDATE_SCREENSHOTS === "1" ? path.resolve(import.meta.dirname, "../../docs/console") : path.join(os.tmpdir(), "dpi-ap-console-shots");

describe("e2e (browser): console login at the OIDC simulator in chromium", function () {
  this.timeout(180_000);
  let n: ConsoleNetwork | undefined;
  let browser: Browser | undefined;
  let letter: string;

  before(async function () {
    if (!existsSync(CHROMIUM)) return this.skip();
    const { chromium } = await import("playwright-core");
    n = await ConsoleNetwork.start({ oidc: true });
    letter = await n.sendLetter();
    await n.waitFor(letter, "SENDT");
    // As root (CI) chromium's sandbox cannot start; the pages are our own and the simulator's, on loopback.
    // The console derives its redirect URI from the address the browser used (no DPI_AP_PUBLIC_URL here).
    n.net.sandbox.oidc.state.addRedirectUri(OIDC_SANDBOX.client.clientId, `${consoleBase()}/console/oidc/callback`);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", `--host-resolver-rules=MAP ${CONSOLE_HOST} 127.0.0.1`] });
  });
  after(async () => {
    await browser?.close();
    await n?.close();
  });

  const consoleBase = () => `http://${CONSOLE_HOST}:${n!.c2.port}`;
  const url = (p: string) => `${consoleBase()}${p}`;

  /** From the console's login page through the provider's form; resolves with the console's answer to the callback. */
  async function logInAtProvider(page: Page, user: { username: string; password: string }) {
    await page.goto(url("/console"));
    expect(new URL(page.url()).pathname).to.equal("/console/login");
    await page.click("#oidc-login");
    await page.waitForURL((u) => u.href.startsWith(n!.net.sandbox.oidc.authorizationUrl));
    expect(await page.locator("h1").textContent()).to.equal(OIDC_SANDBOX.providerName);
    await page.fill('input[name="username"]', user.username);
    await page.fill('input[name="password"]', user.password);
    const [callback] = await Promise.all([page.waitForResponse((r) => r.url().startsWith(url("/console/oidc/callback"))), page.click('button[value="login"]')]);
    return callback;
  }

  it("logs an operator in through the provider and shows the conversation list", async () => {
    const page = await (await browser!.newContext({ viewport: { width: 1400, height: 900 } })).newPage();
    await page.goto(url("/console/login"));
    await mkdir(SHOTS, { recursive: true });
    await page.screenshot({ path: path.join(SHOTS, "login.png"), clip: { x: 0, y: 0, width: 1400, height: 520 } });
    const callback = await logInAtProvider(page, OIDC_SANDBOX.users.operator);
    expect(callback.status()).to.equal(200);
    await page.waitForURL(url("/console"));
    expect(await page.locator("h1").textContent()).to.equal("Conversations");
    expect(await page.locator("header .who span").first().textContent()).to.equal(`${OIDC_SANDBOX.users.operator.username} (operator)`);
    expect(await page.locator(`a[href="${conversationHref("OUT", letter)}"]`).count()).to.equal(1);
    // An operator's page offers the actions: the conversation shows no "read-only" note.
    await page.click(`a[href="${conversationHref("OUT", letter)}"]`);
    await page.waitForURL(url(conversationHref("OUT", letter)));
    expect(await page.locator("text=Read-only: you are logged in as a viewer.").count()).to.equal(0);
    await page.context().close();
  });

  it("refuses a user whose groups give no role, with a 403 page and no session", async () => {
    const page = await (await browser!.newContext()).newPage();
    const callback = await logInAtProvider(page, OIDC_SANDBOX.users.noRole);
    expect(callback.status()).to.equal(403);
    await page.waitForLoadState();
    expect(await page.locator("p.notice.err").textContent()).to.equal(`You (${OIDC_SANDBOX.users.noRole.username}) logged in at ${OIDC_SANDBOX.providerName}, but have no role in this console. Ask for the group that makes you an operator or a viewer.`);
    expect((await page.context().cookies()).map((c) => c.name)).to.not.include("dpi_ap_console");
    await page.goto(url("/console"));
    expect(new URL(page.url()).pathname).to.equal("/console/login");
    await page.context().close();
  });
});
