import { expect } from "chai";
import { accessPointEnv } from "../../src/bench/access-point-process.js";
import { baseEnv } from "../../src/bench/child-process.js";
import { loadConfig } from "../../src/config.js";
import { CERTS } from "../helpers/certs.js";

const OPTIONS = {
  name: "corner 3",
  seat: "POP000002" as const,
  port: 40123,
  dir: "/tmp/bench-c3",
  served: ["0192:984661185", "0192:922020175"],
  endpoints: { maskinportenIssuer: "http://127.0.0.1:41000/", maskinportenJwksUrl: "http://127.0.0.1:41000/jwk", pkiUrl: "http://127.0.0.1:41001/", smlZone: "sml.test", dnsServer: "127.0.0.1:41002" },
  certsDir: CERTS,
  logLevel: "warn",
  outboxPollMs: 100,
};

describe("bench: access point processes", () => {
  it("configure a production-mode access point the config parser accepts", () => {
    const c = loadConfig(accessPointEnv(OPTIONS));
    expect(c.sandbox.enabled).to.equal(false);
    expect(c.port).to.equal(40123);
    expect(c.databaseUrl).to.equal("file:/tmp/bench-c3/ap.db");
    expect(c.servedParticipants).to.deep.equal(["0192:984661185", "0192:922020175"]);
    expect(c.as4.keystore).to.equal(`${CERTS}/ap/POP000002.p12`);
    expect(c.maskinporten.issuer).to.equal("http://127.0.0.1:41000/");
    expect(c.discovery).to.include({ mode: "naptr", zone: "sml.test", allowHttp: true });
    expect(c.discovery.dnsServers).to.deep.equal(["127.0.0.1:41002"]);
    expect(c.outbox.pollMs).to.equal(100);
    // Unset, so the access point keeps its own default.
    expect(Object.keys(accessPointEnv(OPTIONS))).not.to.include("DPI_AP_OUTBOX_CONCURRENCY");
  });

  it("point certs-example's revocation URLs at the local responder", () => {
    expect(loadConfig(accessPointEnv(OPTIONS)).as4.revocationUrlMap).to.deep.equal([["http://127.0.0.1:8899", "http://127.0.0.1:41001"]]);
  });

  it("pass the outbox concurrency when one is given", () => {
    expect(loadConfig(accessPointEnv({ ...OPTIONS, outboxConcurrency: 12 })).outbox.concurrency).to.equal(12);
    expect(loadConfig(accessPointEnv({ ...OPTIONS, maxConcurrentUploads: 64 })).limits.concurrentUploads).to.equal(64);
    expect(accessPointEnv(OPTIONS)).to.not.have.property("DPI_AP_MAX_CONCURRENT_UPLOADS");
  });

  it("put an instance on a shared PostgreSQL store with payloads in it, its own spool, and the balancer as public URL", () => {
    const env = accessPointEnv({ ...OPTIONS, postgresUrl: "postgresql://postgres@127.0.0.1:5432/dpi_ap_bench_c3_ab12", publicUrl: "http://127.0.0.1:40999" });
    const c = loadConfig(env);
    expect(c.databaseUrl).to.equal("postgresql://postgres@127.0.0.1:5432/dpi_ap_bench_c3_ab12");
    expect(c.blobStore).to.equal("database");
    expect(c.spoolDir).to.equal("/tmp/bench-c3/spool");
    expect(c.publicUrl).to.equal("http://127.0.0.1:40999");
    // SQLite: none of them.
    expect(accessPointEnv(OPTIONS)).to.not.have.any.keys("DPI_AP_BLOB_STORE", "DPI_AP_SPOOL_DIR", "DPI_AP_PUBLIC_URL");
  });

  it("keep a SQLite access point's payloads in its database file when asked", () => {
    const c = loadConfig(accessPointEnv({ ...OPTIONS, blobStore: "database" }));
    expect(c.databaseUrl).to.equal("file:/tmp/bench-c3/ap.db");
    expect(c.blobStore).to.equal("database");
    expect(loadConfig(accessPointEnv({ ...OPTIONS, blobStore: "folder" })).blobStore).to.equal("folder");
    // PostgreSQL keeps payloads in the database whatever is asked.
    expect(accessPointEnv({ ...OPTIONS, postgresUrl: "postgresql://x/y", blobStore: "folder" }).DPI_AP_BLOB_STORE).to.equal("database");
  });

  it("inherit no DPI_AP_* variable from the bench's environment", () => {
    const env = baseEnv({ PATH: "/bin", DPI_AP_SANDBOX: "true", DPI_AP_PORT: "1", HOME: "/root" });
    expect(env).to.deep.equal({ PATH: "/bin", HOME: "/root" });
  });
});
