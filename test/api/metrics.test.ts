import { expect } from "chai";
import { ConfigError, loadConfig } from "../../src/config.js";
import { startTestNetwork } from "../helpers/test-network.js";
import { startStubApp } from "./app-fixture.js";

const TOKEN = "metrics-token-0123456789";

describe("api: /metrics", function () {
  this.timeout(20_000);

  it("is served on the API port without a token by default", async () => {
    const app = await startStubApp();
    try {
      const r = await fetch(`${app.url}/metrics`);
      expect({ status: r.status, cacheControl: r.headers.get("cache-control"), etag: r.headers.get("etag") }).to.deep.equal({ status: 200, cacheControl: "no-store", etag: null });
      expect(await r.text()).to.match(/^# HELP dpi_ap_messages_accepted_total /m);
    } finally {
      await app.close();
    }
  });

  it("with DPI_AP_METRICS_TOKEN answers only the bearer of that token, others with a 401 problem", async () => {
    const app = await startStubApp({ DPI_AP_METRICS_TOKEN: TOKEN });
    try {
      const get = (authorization?: string) => fetch(`${app.url}/metrics`, authorization ? { headers: { authorization } } : {});
      for (const authorization of [undefined, "Bearer metrics-token-0123456788", `Bearer ${TOKEN}x`, `Basic ${TOKEN}`, "Bearer"]) {
        const r = await get(authorization);
        const requestId = r.headers.get("x-request-id");
        expect({ status: r.status, challenge: r.headers.get("www-authenticate"), type: r.headers.get("content-type") }, String(authorization)).to.deep.equal({
          status: 401,
          challenge: 'Bearer realm="dpi-ap-metrics"',
          type: "application/problem+json; charset=utf-8",
        });
        expect(await r.json()).to.deep.equal({
          type: "urn:dpi-ap:problem:metrics-token-invalid",
          title: "Metrics token missing or wrong",
          status: 401,
          detail: "GET /metrics requires Authorization: Bearer with the token configured in DPI_AP_METRICS_TOKEN",
          instance: "/metrics",
          code: "metrics-token-invalid",
          requestId,
        });
      }
      const ok = await get(`Bearer ${TOKEN}`);
      expect(ok.status).to.equal(200);
      expect(await ok.text()).to.match(/^# HELP dpi_ap_requests_rejected_total /m);
    } finally {
      await app.close();
    }
  });

  it("with DPI_AP_METRICS_PORT is served on that port only, behind the token when one is set", async () => {
    const net = await startTestNetwork({ env: { DPI_AP_METRICS_PORT: "0", DPI_AP_METRICS_TOKEN: TOKEN } });
    try {
      const metricsUrl = net.ap.metricsUrl!;
      expect(metricsUrl).to.match(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(metricsUrl).to.not.equal(net.ap.url);
      expect((await fetch(`${net.ap.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).status, "API port").to.equal(404);
      expect((await fetch(`${metricsUrl}/metrics`)).status, "no token").to.equal(401);
      const r = await fetch(`${metricsUrl}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect({ status: r.status, etag: r.headers.get("etag") }).to.deep.equal({ status: 200, etag: null });
      expect(await r.text()).to.match(/^dpi_ap_outbox_pending 0$/m);
      expect((await fetch(`${metricsUrl}/health/live`)).status, "nothing else on the metrics port").to.equal(404);
    } finally {
      await net.close();
    }
  });

  it("refuses a short metrics token and a metrics port equal to the API port at start-up", () => {
    const problems = (env: Record<string, string>) => {
      try {
        loadConfig(env);
        return [];
      } catch (err) {
        return (err as ConfigError).problems;
      }
    };
    expect(problems({ DPI_AP_METRICS_TOKEN: "short" })).to.deep.equal(["DPI_AP_METRICS_TOKEN: must be at least 16 characters"]);
    expect(problems({ DPI_AP_PORT: "9000", DPI_AP_METRICS_PORT: "9000" })).to.deep.equal(["DPI_AP_METRICS_PORT: must differ from DPI_AP_PORT"]);
    expect(loadConfig({ DPI_AP_METRICS_PORT: "9100", DPI_AP_METRICS_TOKEN: TOKEN }).metricsServer).to.deep.equal({ host: "127.0.0.1", port: 9100, token: TOKEN });
    expect(loadConfig({}).metricsServer).to.deep.equal({ host: "127.0.0.1", port: undefined, token: undefined });
  });
});
