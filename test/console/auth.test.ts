import { expect } from "chai";
import type { Request } from "express";
import { sameOrigin, sameToken } from "../../src/console/csrf.js";
import { parseListQuery, parseUtcTime } from "../../src/console/list-query.js";
import { LoginThrottle } from "../../src/console/login-throttle.js";
import { hashPassword, parsePasswordHash, PasswordHashFormatError, verifyPassword } from "../../src/console/password.js";
import { SessionStore } from "../../src/console/sessions.js";
import { parseConsoleUsers } from "../../src/console/users.js";
import { loadConfig } from "../../src/config.js";

/** A clock the test moves by hand. */
function manualClock(start = Date.parse("2030-01-01T00:00:00Z")) {
  let t = start;
  const clock = () => new Date(t);
  return Object.assign(clock, { advance: (ms: number) => void (t += ms) });
}

const CHEAP = { N: 1024, r: 8, p: 1 };

describe("console: passwords, users, sessions, throttling, CSRF and the list's query", () => {
  describe("password hashes", () => {
    it("verifies the password a hash was made from and no other", async () => {
      const stored = parsePasswordHash(await hashPassword("correct horse battery", CHEAP));
      expect(await verifyPassword("correct horse battery", stored)).to.equal(true);
      expect(await verifyPassword("correct horse batterY", stored)).to.equal(false);
      expect(await verifyPassword("", stored)).to.equal(false);
    });

    it("salts every hash anew and writes the format DPI_AP_CONSOLE_USERS can hold", async () => {
      const [a, b] = [await hashPassword("same password!", CHEAP), await hashPassword("same password!", CHEAP)];
      expect(a).to.not.equal(b);
      expect(a).to.match(/^scrypt\$1024\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
      expect(a).to.not.match(/[:,]/);
    });

    it("uses the default cost N=16384, r=8, p=1", async () => {
      expect((await hashPassword("default cost pw")).split("$").slice(0, 4).join("$")).to.equal("scrypt$16384$8$1");
    });

    it("refuses malformed hashes and costs beyond the bounds", () => {
      for (const bad of ["", "bcrypt$x", "scrypt$1000$8$1$AAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAA", `scrypt$${2 ** 21}$8$1$AAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAA`, "scrypt$1024$99$1$AAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAA", "scrypt$1024$8$1$AA+A/AAAAAAA$AAAAAAAAAAAAAAAAAAAAAAA"]) {
        expect(() => parsePasswordHash(bad), bad).to.throw(PasswordHashFormatError);
      }
    });
  });

  describe("DPI_AP_CONSOLE_USERS", () => {
    it("reads users with their roles", async () => {
      const h = await hashPassword("operator password", CHEAP);
      const problems: string[] = [];
      const users = parseConsoleUsers([`ola:operator:${h}`, `kari.n@example:viewer:${h}`], problems);
      expect(problems).to.deep.equal([]);
      expect(users.map((u) => [u.name, u.role])).to.deep.equal([["ola", "operator"], ["kari.n@example", "viewer"]]);
    });

    it("names each bad entry without showing its hash", async () => {
      const h = await hashPassword("operator password", CHEAP);
      const problems: string[] = [];
      parseConsoleUsers([`ola:admin:${h}`, `bad name:viewer:${h}`, "kari:viewer:not-a-hash", `ola:viewer:${h}`, `per:operator:${h}`, `per:viewer:${h}`], problems);
      expect(problems).to.deep.equal([
        'DPI_AP_CONSOLE_USERS: user "ola": role must be operator or viewer',
        "DPI_AP_CONSOLE_USERS: an entry is not <user>:<role>:<scrypt hash> (user: letters, digits, . _ @ -)",
        'DPI_AP_CONSOLE_USERS: user "kari": not a console password hash (scrypt$N$r$p$salt$hash): wrong number of fields or not scrypt',
        'DPI_AP_CONSOLE_USERS: user "per" is listed twice',
      ]);
      expect(problems.join("\n")).to.not.include(h.split("$")[5]);
    });

    it("switches the console on in the configuration, with a Secure cookie only behind https", async () => {
      const h = await hashPassword("operator password", CHEAP);
      const base = { DPI_AP_MASKINPORTEN_ISSUER: "x", DPI_AP_MASKINPORTEN_JWKS_URL: "http://127.0.0.1:9/jwk" };
      expect(loadConfig(base).console).to.equal(undefined);
      const c = loadConfig({ ...base, DPI_AP_CONSOLE_USERS: `ola:operator:${h}`, DPI_AP_PUBLIC_URL: "https://ap.example.no" }).console!;
      expect({ idleMs: c.idleMs, maxAgeMs: c.maxAgeMs, refreshSeconds: c.refreshSeconds, secureCookie: c.secureCookie, users: c.users.length }).to.deep.equal({
        idleMs: 30 * 60_000,
        maxAgeMs: 12 * 3_600_000,
        refreshSeconds: 10,
        secureCookie: true,
        users: 1,
      });
      expect(loadConfig({ ...base, DPI_AP_CONSOLE_USERS: `ola:operator:${h}`, DPI_AP_PUBLIC_URL: "http://ap.example.no" }).console!.secureCookie).to.equal(false);
      expect(() => loadConfig({ ...base, DPI_AP_CONSOLE_USERS: "ola:operator:x" })).to.throw(/DPI_AP_CONSOLE_USERS: user "ola": not a console password hash/);
    });
  });

  describe("sessions", () => {
    it("end after the idle time, and a used session stays alive until its maximum age", () => {
      const clock = manualClock();
      const store = new SessionStore({ idleMs: 10_000, maxAgeMs: 25_000 }, clock);
      const { id, session } = store.create("ola", "operator");
      expect(session.csrfToken).to.match(/^[A-Za-z0-9_-]{43}$/);
      expect(id).to.match(/^[A-Za-z0-9_-]{43}$/);
      clock.advance(9_000);
      expect(store.touch(id)?.user).to.equal("ola");
      clock.advance(9_000);
      expect(store.touch(id)?.user).to.equal("ola");
      clock.advance(7_000); // 25 s after login: too old, although used 7 s ago
      expect(store.touch(id)).to.equal(undefined);
      const idle = store.create("kari", "viewer");
      clock.advance(10_000);
      expect(store.touch(idle.id)).to.equal(undefined);
    });

    it("are not kept alive by a page refreshing itself (a passive touch)", () => {
      const clock = manualClock();
      const store = new SessionStore({ idleMs: 10_000, maxAgeMs: 60_000 }, clock);
      const { id } = store.create("ola", "operator");
      clock.advance(6_000);
      expect(store.touch(id, true)?.user).to.equal("ola");
      clock.advance(4_000);
      expect(store.touch(id, true)).to.equal(undefined);
    });

    it("know no id they did not make, and forget a destroyed one", () => {
      const store = new SessionStore({ idleMs: 10_000, maxAgeMs: 20_000 }, manualClock());
      const { id } = store.create("ola", "operator");
      expect(store.touch(id + "x")).to.equal(undefined);
      expect(store.touch(undefined)).to.equal(undefined);
      store.destroy(id);
      expect(store.touch(id)).to.equal(undefined);
    });
  });

  describe("login throttle", () => {
    it("refuses a user from one address after five failures until the oldest leaves the window", () => {
      const clock = manualClock();
      const t = new LoginThrottle(clock, { maxFailures: 5, windowMs: 60_000 });
      for (let i = 0; i < 5; i++) {
        expect(t.retryAfterMs("ola", "10.0.0.1")).to.equal(0);
        t.failed("ola", "10.0.0.1");
        clock.advance(1_000);
      }
      expect(t.retryAfterMs("ola", "10.0.0.1")).to.equal(55_000);
      // Another address, or another user from the same address, is not held up.
      expect(t.retryAfterMs("ola", "10.0.0.2")).to.equal(0);
      expect(t.retryAfterMs("kari", "10.0.0.1")).to.equal(0);
      clock.advance(55_000);
      expect(t.retryAfterMs("ola", "10.0.0.1")).to.equal(0);
    });

    it("forgets the failures of a pair on success", () => {
      const t = new LoginThrottle(manualClock(), { maxFailures: 2, windowMs: 60_000 });
      t.failed("ola", "ip");
      t.succeeded("ola", "ip");
      t.failed("ola", "ip");
      expect(t.retryAfterMs("ola", "ip")).to.equal(0);
    });
  });

  describe("CSRF", () => {
    it("accepts only the exact token", () => {
      expect(sameToken("abc", "abc")).to.equal(true);
      for (const bad of ["abd", "", undefined, ["abc"], 1]) expect(sameToken("abc", bad), String(bad)).to.equal(false);
    });

    it("accepts this site's origin (or none) and refuses another", () => {
      const req = (h: Record<string, string>) => ({ get: (k: string) => h[k.toLowerCase()] }) as unknown as Request;
      expect(sameOrigin(req({ host: "127.0.0.1:8080", origin: "http://127.0.0.1:8080" }), undefined)).to.equal(true);
      expect(sameOrigin(req({ host: "127.0.0.1:8080" }), undefined)).to.equal(true);
      expect(sameOrigin(req({ host: "internal:8080", origin: "https://ap.example.no" }), "https://ap.example.no")).to.equal(true);
      expect(sameOrigin(req({ host: "127.0.0.1:8080", origin: "http://evil.example" }), undefined)).to.equal(false);
      expect(sameOrigin(req({ host: "127.0.0.1:8080", origin: "null" }), undefined)).to.equal(false);
      expect(sameOrigin(req({ host: "127.0.0.1:8080", referer: "http://evil.example/x" }), undefined)).to.equal(false);
      expect(sameOrigin(req({ host: "127.0.0.1:8080", referer: "http://127.0.0.1:8080/console" }), undefined)).to.equal(true);
    });
  });

  describe("the list's query", () => {
    it("turns the form's values into a filter", () => {
      const p = parseListQuery({ channel: "dpi", direction: "out", status: "feilet", sender: " 991825827 ", receiver: "", from: "2026-12-01T10:00", to: "2026-12-02T00:00:00Z", q: "abc", page: "3", size: "20" });
      expect(p.problems).to.deep.equal([]);
      expect(p.filter).to.deep.equal({
        channel: "DPI",
        direction: "OUT",
        status: "FEILET",
        sender: "991825827",
        text: "abc",
        from: new Date("2026-12-01T10:00:00Z"),
        to: new Date("2026-12-02T00:00:00Z"),
      });
      expect([p.page, p.size]).to.deep.equal([2, 20]);
    });

    it("names values it cannot use and leaves them out", () => {
      const p = parseListQuery({ channel: "XYZ", direction: "sideways", from: "yesterday", page: "-1", size: "100000" });
      expect(p.problems).to.deep.equal(['channel "XYZ" is not one of DPI, DPO, DPF, DPV, DPE', 'direction "sideways" is not OUT or IN', 'from "yesterday" is not a time (YYYY-MM-DDTHH:MM, UTC)']);
      expect(p.filter).to.deep.equal({});
      expect([p.page, p.size]).to.deep.equal([0, 50]);
    });

    it("reads a datetime-local value as UTC", () => {
      expect(parseUtcTime("2026-12-03T06:20")?.toISOString()).to.equal("2026-12-03T06:20:00.000Z");
      expect(parseUtcTime("2026-12-03T07:20:00+01:00")?.toISOString()).to.equal("2026-12-03T06:20:00.000Z");
      expect(parseUtcTime("2026-13-03T06:20")).to.equal(undefined);
    });
  });
});
