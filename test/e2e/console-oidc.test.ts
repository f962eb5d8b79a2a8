import { expect } from "chai";
import { OIDC_SANDBOX } from "../../src/sim/oidc/index.js";
import { ConsoleClient, csrfOf } from "../helpers/console-client.js";
import { ConsoleNetwork, OPERATOR } from "../helpers/console-network.js";

/**
 * The console's OIDC login over real HTTP: corner 2's console configured with the sandbox's OIDC simulator
 * beside its password users; each user's role comes from their groups at the provider.
 */
describe("e2e: console login at an OIDC provider", function () {
  this.timeout(120_000);
  let n: ConsoleNetwork;
  const U = OIDC_SANDBOX.users;

  before(async () => {
    n = await ConsoleNetwork.start({ oidc: true });
  });
  after(async () => n?.close());

  it("offers both password login and a link to the provider on the login page", async () => {
    const page = await new ConsoleClient(n.c2.url).get("/console/login");
    expect(page.status).to.equal(200);
    expect(page.text).to.include('name="password"');
    expect(page.text).to.include('<a class="button primary" id="oidc-login" href="/console/oidc/login">Log in with OIDC simulator</a>');
  });

  it("sends the browser to the provider with a short-lived SameSite=Lax cookie for the login under way", async () => {
    const r = await new ConsoleClient(n.c2.url).get("/console/oidc/login");
    expect(r.status).to.equal(303);
    const to = new URL(r.location!);
    expect([to.origin + to.pathname, to.searchParams.get("client_id"), to.searchParams.get("redirect_uri")]).to.deep.equal([n.net.sandbox.oidc.authorizationUrl, OIDC_SANDBOX.client.clientId, `${n.c2.url}/console/oidc/callback`]);
    expect(r.setCookies.map((c) => c.replace(/=[A-Za-z0-9_-]{43};/, "=<id>;"))).to.deep.equal(["dpi_ap_console_oidc=<id>; Path=/console/oidc; HttpOnly; SameSite=Lax; Max-Age=600"]);
  });

  it("logs an operator in: a session like a password login's, and the login cookie cleared", async () => {
    const c = new ConsoleClient(n.c2.url);
    const r = await c.loginWithOidc(U.operator.username, U.operator.password);
    expect(r.status).to.equal(200);
    expect(r.text).to.include('<meta http-equiv="refresh" content="0;url=/console">');
    expect(r.setCookies.map((s) => s.replace(/^dpi_ap_console=[A-Za-z0-9_-]{43}/, "dpi_ap_console=<id>"))).to.deep.equal([
      "dpi_ap_console_oidc=; Path=/console/oidc; HttpOnly; SameSite=Lax; Max-Age=0",
      "dpi_ap_console=<id>; Path=/console; HttpOnly; SameSite=Strict; Max-Age=43200",
    ]);
    const list = await c.get("/console");
    expect(list.status).to.equal(200);
    expect(list.text).to.include(`<span>${U.operator.username} (operator)</span>`);
  });

  it("logs a viewer in as a viewer, who cannot act", async () => {
    const c = new ConsoleClient(n.c2.url);
    expect((await c.loginWithOidc(U.viewer.username, U.viewer.password)).status).to.equal(200);
    const list = await c.get("/console");
    expect(list.text).to.include(`<span>${U.viewer.username} (viewer)</span>`);
    const r = await c.post("/console/conversations/OUT/no-such-message/retry", { csrf: csrfOf(list.text) });
    expect(r.status).to.equal(403);
    expect(r.text).to.include("Viewers cannot act on conversations.");
  });

  it("refuses a user whose groups give no role here, with 403 and no session", async () => {
    const c = new ConsoleClient(n.c2.url);
    const r = await c.loginWithOidc(U.noRole.username, U.noRole.password);
    expect(r.status).to.equal(403);
    expect(r.text).to.include(`You (${U.noRole.username}) logged in at OIDC simulator, but have no role in this console.`);
    expect(r.setCookies.some((s) => s.startsWith("dpi_ap_console="))).to.equal(false);
    const after = await c.get("/console");
    expect([after.status, after.location]).to.deep.equal([303, "/console/login"]);
  });

  it("refuses a callback replayed with the login's cookie, and one without any", async () => {
    const c = new ConsoleClient(n.c2.url);
    const start = await c.get("/console/oidc/login");
    const cookie = c.cookies.get("dpi_ap_console_oidc")!;
    const html = await (await fetch(start.location!)).text();
    const request = /name="request" value="([^"]+)"/.exec(html)![1]!;
    const back = await fetch(n.net.sandbox.oidc.authorizationUrl, {
      method: "POST",
      redirect: "manual",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ request, username: U.operator.username, password: U.operator.password, action: "login" }).toString(),
    });
    const callback = new URL(back.headers.get("location")!);
    const path = callback.pathname + callback.search;
    expect((await c.get(path)).status).to.equal(200);
    c.cookies.set("dpi_ap_console_oidc", cookie);
    const replay = await c.get(path);
    expect(replay.status).to.equal(400);
    expect(replay.text).to.include("The login took too long, or was started in another window. Log in again.");
    const stranger = await new ConsoleClient(n.c2.url).get(path);
    expect(stranger.status).to.equal(400);
  });

  it("keeps password login beside it", async () => {
    const r = await new ConsoleClient(n.c2.url).login(OPERATOR.user, OPERATOR.password);
    expect([r.status, r.location]).to.deep.equal([303, "/console"]);
  });
});
