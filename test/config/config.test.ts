import { readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import { ConfigError, loadConfig, sandboxRequested } from "../../src/config.js";
import { SANDBOX_DEFAULTS, SANDBOX_ZONE, sandboxPorts, withSandboxDefaults } from "../../src/sim/sandbox-config.js";

const ROOT = path.resolve(import.meta.dirname, "../..");

describe("config", () => {
  it("documents every environment variable it and the sandbox read in the README's configuration table", () => {
    const sources = ["src/config.ts", "src/sim/sandbox-config.ts"].map((f) => readFileSync(path.join(ROOT, f), "utf8")).join("\n");
    const read = new Set(sources.match(/DPI_AP_[A-Z0-9_]+/g));
    const documented = new Set(readFileSync(path.join(ROOT, "README.md"), "utf8").match(/`DPI_AP_[A-Z0-9_]+`/g)!.map((v) => v.slice(1, -1)));
    expect([...read].filter((v) => !documented.has(v))).to.deep.equal([]);
  });

  it("with the sandbox's defaults (as src/main.ts applies them), is a complete sandbox", () => {
    const c = loadConfig(withSandboxDefaults({}));
    expect(c.sandbox.enabled).to.equal(true);
    expect(c.as4.keystore).to.match(/certs-example\/ap\/POP000001\.p12$/);
    expect(c.as4.keystorePassword).to.equal("changeit");
    expect(c.operator.keystore).to.match(/certs-example\/business\/987654325\.p12$/);
    expect(c.operator.keystorePassword).to.equal("changeit");
    expect(c.servedParticipants).to.deep.equal(["0192:991825827", "0192:810969342", "0192:910076787", "0192:984661185", "0192:922020175", "0192:974761076"]);
    expect(c.letterRecipients).to.deep.equal(c.servedParticipants);
    expect(c.businessTrustAnchors.map((f) => path.relative(ROOT, f))).to.deep.equal(["certs-example/business/root-ca.pem", "certs-example/business/intermediate-ca.pem"]);
    expect(c.as4.trustAnchors.map((f) => path.relative(ROOT, f))).to.deep.equal(["certs-example/ap/root-ca.pem", "certs-example/ap/intermediate-ca.pem"]);
    expect(c.as4.staticCrls.map((f) => path.relative(ROOT, f))).to.deep.equal(["certs-example/smp/intermediate-ca.crl.pem", "certs-example/business/intermediate-ca.crl.pem"]);
    expect(c.discovery).to.deep.include({ mode: "naptr", zone: "sml.dpi-ap.test", allowHttp: true, dnsServers: [] });
    expect(c.discovery.smpTrustAnchors.map((f) => path.relative(ROOT, f))).to.deep.equal(["certs-example/smp/root-ca.pem", "certs-example/smp/intermediate-ca.pem"]);
    expect(SANDBOX_ZONE).to.equal("sml.dpi-ap.test");
    // Maskinporten and the DNS server are the running simulators': src/sim/sandbox-process.ts fills them in.
    expect(c.maskinporten).to.include({ issuer: undefined, jwksUrl: undefined });
  });

  it("has no simulator defaults of its own: without the sandbox's, nothing is filled in", () => {
    const c = loadConfig({});
    expect(c.sandbox.enabled).to.equal(true);
    expect([c.as4.keystore, c.operator.keystore, c.discovery.zone]).to.deep.equal([undefined, undefined, undefined]);
    expect([c.as4.keystorePassword, c.operator.keystorePassword]).to.deep.equal(["", ""]);
    expect([c.servedParticipants, c.letterRecipients, c.businessTrustAnchors, c.as4.trustAnchors, c.as4.staticCrls, c.discovery.smpTrustAnchors]).to.deep.equal([[], [], [], [], [], []]);
    expect(c.discovery.allowHttp).to.equal(false);
  });

  it("the environment wins over every sandbox default", () => {
    const env = { DPI_AP_SERVED_PARTICIPANTS: "984661185", DPI_AP_AS4_KEYSTORE: "/etc/ap.p12", DPI_AP_SML_ZONE: "participant.sml.test.tech.peppol.org", DPI_AP_SMP_ALLOW_HTTP: "false" };
    const c = loadConfig(withSandboxDefaults(env));
    expect([c.servedParticipants, c.as4.keystore, c.discovery.zone, c.discovery.allowHttp]).to.deep.equal([["0192:984661185"], "/etc/ap.p12", "participant.sml.test.tech.peppol.org", false]);
    expect(withSandboxDefaults({ DPI_AP_STATIC_CRLS: "" }).DPI_AP_STATIC_CRLS).to.equal("");
    expect(Object.keys(SANDBOX_DEFAULTS).every((k) => k.startsWith("DPI_AP_") && !k.startsWith("DPI_AP_SANDBOX"))).to.equal(true);
  });

  it("the sandbox's simulator ports default to 8090, 8091, 8053, 8899 and 8092 on, and are checked", () => {
    expect(sandboxPorts({})).to.deep.equal({ maskinporten: 8090, smp: 8091, dns: 8053, pki: 8899, serviceRegistry: 8092, serviceBus: 8093, altinnToken: 8094, altinnCorrespondence: 8095, svarUt: 8097, altinnBroker: 8096, krr: 8099, altinnAuthorization: 8098, smtp: 8100, oidc: 8101 });
    expect(sandboxPorts({ DPI_AP_SANDBOX_SMP_PORT: "0" }).smp).to.equal(0);
    expect(() => sandboxPorts({ DPI_AP_SANDBOX_DNS_PORT: "65536" })).to.throw(ConfigError, /^invalid configuration:\n  DPI_AP_SANDBOX_DNS_PORT: /);
  });

  it("sandbox mode is asked for unless DPI_AP_SANDBOX says otherwise; a bad value asks for none and is named by loadConfig", () => {
    expect([{}, { DPI_AP_SANDBOX: "true" }, { DPI_AP_SANDBOX: "1" }].map((e) => sandboxRequested(e))).to.deep.equal([true, true, true]);
    expect([{ DPI_AP_SANDBOX: "false" }, { DPI_AP_SANDBOX: "no" }, { DPI_AP_SANDBOX: "maybe" }].map((e) => sandboxRequested(e))).to.deep.equal([false, false, false]);
    expect(() => loadConfig({ DPI_AP_SANDBOX: "maybe" })).to.throw(ConfigError, /DPI_AP_SANDBOX/);
  });

  it("reads NextMove users, organisations and channels, and names each bad entry without echoing passwords", () => {
    const c = loadConfig({ DPI_AP_NEXTMOVE_USERS: "arkiv:se:cret:910076787|991825827,drift:pw:*", DPI_AP_NEXTMOVE_CHANNELS: "dpi,DPO", DPI_AP_NEXTMOVE_ORGS: "991825827" });
    expect(c.nextMove.users).to.deep.equal([
      { name: "arkiv", password: "se:cret", orgs: ["910076787", "991825827"] },
      { name: "drift", password: "pw", orgs: "*" },
    ]);
    expect({ channels: c.nextMove.channels, orgs: c.nextMove.orgs, enabled: c.nextMove.enabled, lockMs: c.nextMove.lockMs }).to.deep.equal({ channels: ["DPI", "DPO"], orgs: ["991825827"], enabled: false, lockMs: 300_000 });
    let err: ConfigError | undefined;
    try {
      loadConfig({ DPI_AP_NEXTMOVE_USERS: "arkiv:topsecret:12345,nopassword", DPI_AP_NEXTMOVE_CHANNELS: "DPX" });
    } catch (e) {
      err = e as ConfigError;
    }
    expect(err!.problems).to.deep.equal([
      'DPI_AP_NEXTMOVE_CHANNELS: "DPX" is not one of DPI, DPO, DPF, DPV, DPE',
      'DPI_AP_NEXTMOVE_USERS: user "arkiv": "12345" is not an organisation number',
      "DPI_AP_NEXTMOVE_USERS: an entry is not name:password:orgno|orgno (or :*)",
    ]);
  });

  it("reads each NextMove organisation's Maskinporten client id and names a malformed pair", () => {
    const c = loadConfig({ DPI_AP_NEXTMOVE_CLIENT_IDS: "991825827=client-a,0192:910076787=client-b" });
    expect([...c.nextMove.clientIds]).to.deep.equal([
      ["991825827", "client-a"],
      ["910076787", "client-b"],
    ]);
    expect(() => loadConfig({ DPI_AP_NEXTMOVE_CLIENT_IDS: "12345=x" })).to.throw(ConfigError, /DPI_AP_NEXTMOVE_CLIENT_IDS: "12345=x" is not <orgno>=<client id>/);
    expect(() => loadConfig({ DPI_AP_NEXTMOVE_CLIENT_IDS: "991825827=" })).to.throw(ConfigError, /DPI_AP_NEXTMOVE_CLIENT_IDS: "991825827=" is not/);
  });

  it("receives DPE over AMQP only when a broker URL is given, and refuses one that is not amqp(s)", () => {
    expect(loadConfig({}).dpe.amqp).to.equal(undefined);
    expect(loadConfig({ DPI_AP_DPE_AMQP_URL: "amqps://MoveDPE-prodPolicy:k@efm-dpe-prod.servicebus.windows.net" }).dpe.amqp).to.deep.equal({
      url: "amqps://MoveDPE-prodPolicy:k@efm-dpe-prod.servicebus.windows.net",
      addressPrefix: "",
      settleSecond: true,
    });
    expect(() => loadConfig({ DPI_AP_DPE_AMQP_URL: "https://example.org" })).to.throw(ConfigError, /DPI_AP_DPE_AMQP_URL/);
  });

  it("outside the sandbox, names every missing setting at once", () => {
    const err = (() => {
      try {
        loadConfig({ DPI_AP_SANDBOX: "false" });
      } catch (e) {
        return e;
      }
    })() as ConfigError;
    expect(err).to.be.instanceOf(ConfigError);
    const names = err.problems.map((p) => p.split(":")[0]);
    expect(names).to.include.members([
      "DPI_AP_MASKINPORTEN_ISSUER",
      "DPI_AP_MASKINPORTEN_JWKS_URL",
      "DPI_AP_BUSINESS_TRUST_ANCHORS",
      "DPI_AP_AS4_KEYSTORE",
      "DPI_AP_PEPPOL_AP_TRUST_ANCHORS",
      "DPI_AP_SMP_TRUST_ANCHORS",
      "DPI_AP_SML_MODE",
    ]);
    // The served participants live in the store (onboarded with `dpi-ap participants add`); the variable only seeds it.
    expect(names).not.to.include("DPI_AP_SERVED_PARTICIPANTS");
  });

  it("rejects malformed values", () => {
    expect(() => loadConfig({ DPI_AP_PORT: "http" })).to.throw(ConfigError, /DPI_AP_PORT/);
    expect(() => loadConfig({ DPI_AP_SERVED_PARTICIPANTS: "12345" })).to.throw(ConfigError, /not an organisation number/);
    expect(() => loadConfig({ DPI_AP_REVOCATION_URL_MAP: "nonsense" })).to.throw(ConfigError, /prefix=replacement/);
    expect(() => loadConfig({ DPI_AP_SML_MODE: "static" })).to.throw(ConfigError, /DPI_AP_SMP_URL/);
    expect(() => loadConfig({ DPI_AP_STATUS_POLL_MS: "0" })).to.throw(ConfigError, /DPI_AP_STATUS_POLL_MS/);
  });

  it("reads each organisation's SvarUt konto and Fiks integration, and refuses the old <kontoId>:<password> form without echoing the password", () => {
    const konto = "00000000-0000-4000-8000-991825827000";
    const integrasjon = "00000000-0000-4000-9000-991825827000";
    const c = loadConfig({ DPI_AP_DPF_SVARUT_ACCOUNTS: `991825827=${konto}:${integrasjon}:pass:ord` });
    expect([...c.dpf.svarUtAccounts]).to.deep.equal([["991825827", { orgnr: "991825827", kontoId: konto, integrasjonId: integrasjon, integrasjonPassord: "pass:ord" }]]);
    let err: ConfigError | undefined;
    try {
      loadConfig({ DPI_AP_DPF_SVARUT_ACCOUNTS: `991825827=${konto}:topsecret` });
    } catch (e) {
      err = e as ConfigError;
    }
    expect(err!.problems).to.deep.equal([`DPI_AP_DPF_SVARUT_ACCOUNTS: "991825827=${konto}:…" is not <orgno>=<kontoId>:<integrasjonId>:<integrasjonPassord>`]);
  });

  it("DPF mail delivery is off by default; on, it reads the SMTP server, the sender and per-organisation or default addresses", () => {
    expect(loadConfig({}).dpf.mail).to.equal(undefined);
    const c = loadConfig({
      DPI_AP_DPF_MAIL_ON_ERROR: "true",
      DPI_AP_DPF_MAIL_TO: "post@kommune.example, 991825827=arkiv@a.example",
      DPI_AP_SMTP_HOST: "smtp.example",
      DPI_AP_SMTP_PORT: "587",
      DPI_AP_SMTP_REQUIRE_TLS: "true",
      DPI_AP_SMTP_USER: "ap",
      DPI_AP_SMTP_PASSWORD: "s:cret",
      DPI_AP_MAIL_FROM: "ap@ap.example",
    }).dpf.mail!;
    expect(c.smtp).to.deep.equal({ host: "smtp.example", port: 587, secure: false, requireTls: true, auth: { user: "ap", pass: "s:cret" }, from: "ap@ap.example" });
    expect([[...c.addresses], c.defaultAddress, c.deadlineMs, c.linkHours]).to.deep.equal([[["991825827", "arkiv@a.example"]], "post@kommune.example", 86_400_000, 720]);
    let err: ConfigError | undefined;
    try {
      loadConfig({ DPI_AP_DPF_MAIL_ON_ERROR: "true", DPI_AP_DPF_MAIL_TO: "12345=x@y.example,not-an-address" });
    } catch (e) {
      err = e as ConfigError;
    }
    expect(err!.problems.filter((p) => /MAIL|SMTP/.test(p))).to.deep.equal([
      'DPI_AP_DPF_MAIL_TO: "12345=x@y.example" is neither an address nor <orgno>=<address>',
      'DPI_AP_DPF_MAIL_TO: "not-an-address" is neither an address nor <orgno>=<address>',
      "DPI_AP_DPF_MAIL_TO: required with DPI_AP_DPF_MAIL_ON_ERROR (an address, or <orgno>=<address> pairs)",
      "DPI_AP_MAIL_FROM: required with DPI_AP_DPF_MAIL_ON_ERROR",
    ]);
  });

  it("status polling looks for due conversations every minute unless DPI_AP_STATUS_POLL_MS says otherwise", () => {
    expect(loadConfig({}).statusPollMs).to.equal(60_000);
    expect(loadConfig({ DPI_AP_STATUS_POLL_MS: "250" }).statusPollMs).to.equal(250);
  });

  it("keeps payloads in the folder unless DPI_AP_BLOB_STORE=database, which a PostgreSQL or a SQLite store takes", () => {
    const folder = loadConfig({ DPI_AP_DATA_DIR: "/srv/ap" });
    expect([folder.blobStore, folder.spoolDir]).to.deep.equal(["folder", path.join("/srv/ap", "as4-tmp")]);
    const pg = loadConfig({ DPI_AP_DATABASE_URL: "postgresql://ap@db:5432/ap", DPI_AP_BLOB_STORE: "database" });
    expect([pg.blobStore, pg.spoolDir]).to.deep.equal(["database", path.join(os.tmpdir(), "dpi-ap-spool")]);
    expect(loadConfig({ DPI_AP_DATABASE_URL: "postgres://ap@db/ap", DPI_AP_BLOB_STORE: "database", DPI_AP_SPOOL_DIR: "/var/spool/ap" }).spoolDir).to.equal("/var/spool/ap");
    // The spool stays in the data folder: a SQLite store's start-up sweep empties it, so it must be its own.
    const sqlite = loadConfig({ DPI_AP_BLOB_STORE: "database", DPI_AP_DATA_DIR: "/srv/ap" });
    expect([sqlite.databaseUrl, sqlite.blobStore, sqlite.spoolDir]).to.deep.equal([loadConfig({}).databaseUrl, "database", path.join("/srv/ap", "as4-tmp")]);
    expect(sqlite.databaseUrl.startsWith("file:")).to.equal(true);
    const err = (() => {
      try {
        loadConfig({ DPI_AP_DATABASE_URL: "mysql://ap@db/ap", DPI_AP_BLOB_STORE: "database" });
      } catch (e) {
        return e as ConfigError;
      }
      return expect.fail("a database blob store on an unknown database was accepted");
    })();
    expect(err).to.be.instanceOf(ConfigError);
    expect(err.problems).to.include('DPI_AP_BLOB_STORE: "database" keeps payloads in the store DPI_AP_DATABASE_URL names and needs a postgresql:// or file: (SQLite) URL');
    expect(() => loadConfig({ DPI_AP_BLOB_STORE: "s3" })).to.throw(ConfigError, /DPI_AP_BLOB_STORE/);
  });

  it("keeps 1 MiB of each AS4 message in memory before it spools to files, 0 meaning always files", () => {
    expect(loadConfig({}).spoolMemoryBytes).to.equal(1024 * 1024);
    expect(loadConfig({ DPI_AP_AS4_MEMORY_SPOOL_BYTES: "0" }).spoolMemoryBytes).to.equal(0);
    expect(loadConfig({ DPI_AP_AS4_MEMORY_SPOOL_BYTES: "65536" }).spoolMemoryBytes).to.equal(65536);
    for (const bad of ["-1", "1.5", "lots", String(1024 ** 3 + 1)]) {
      expect(() => loadConfig({ DPI_AP_AS4_MEMORY_SPOOL_BYTES: bad }), bad).to.throw(ConfigError, /DPI_AP_AS4_MEMORY_SPOOL_BYTES/);
    }
  });

  it("prepares PostgreSQL statements by name unless DPI_AP_DATABASE_NAMED_STATEMENTS=false", () => {
    expect(loadConfig({}).databaseNamedStatements).to.equal(true);
    expect(loadConfig({ DPI_AP_DATABASE_NAMED_STATEMENTS: "false" }).databaseNamedStatements).to.equal(false);
    expect(() => loadConfig({ DPI_AP_DATABASE_NAMED_STATEMENTS: "sometimes" })).to.throw(ConfigError, /DPI_AP_DATABASE_NAMED_STATEMENTS/);
  });

  it("opens PostgreSQL pools of 10 connections unless DPI_AP_DATABASE_POOL_SIZE says otherwise (1 to 200)", () => {
    expect(loadConfig({}).databasePoolSize).to.equal(10);
    expect(loadConfig({ DPI_AP_DATABASE_POOL_SIZE: "3" }).databasePoolSize).to.equal(3);
    for (const bad of ["0", "201", "2.5", "many"]) {
      expect(() => loadConfig({ DPI_AP_DATABASE_POOL_SIZE: bad }), bad).to.throw(ConfigError, /DPI_AP_DATABASE_POOL_SIZE/);
    }
  });
});

describe("config: sandbox safety", () => {
  it("refuses the implicit sandbox on a non-loopback interface, but honours an explicit choice", () => {
    expect(() => loadConfig({ DPI_AP_HOST: "0.0.0.0" })).to.throw(ConfigError, /sandbox mode is the default only on loopback/);
    expect(loadConfig({ DPI_AP_HOST: "0.0.0.0", DPI_AP_SANDBOX: "true" }).sandbox.enabled).to.equal(true);
  });
});
