import { expect } from "chai";
import { requestLineLevel } from "../../src/api/request-line-level.js";

describe("api/request-line-level", () => {
  const level = (method: string, path: string, status: number, as4Path = "/as4") => requestLineLevel({ method, path, status }, as4Path);

  it("logs a letter's successful polls, downloads and recorded writes at debug", () => {
    const cases: [string, string, number][] = [
      ["POST", "/as4", 200],
      ["POST", "/messages/out", 201],
      ["POST", "/messages/out", 200],
      ["GET", "/messages/in", 200],
      ["GET", "/messages/in", 204],
      ["GET", "/messages/in/6d0c0c1c-1f7e-4c36-9d51-d3a9ad3c0d1e", 200],
      ["GET", "/messages/out/6d0c0c1c-1f7e-4c36-9d51-d3a9ad3c0d1e/statuses", 200],
      ["GET", "/status/6d0c0c1c-1f7e-4c36-9d51-d3a9ad3c0d1e", 200],
      ["HEAD", "/messages/in", 200],
      ["GET", "/api/messages/in/peek", 200],
      ["GET", "/api/messages/in/pop/m-1", 200],
      ["GET", "/api/statuses", 200],
      ["POST", "/api/messages/out", 200],
      ["POST", "/api/messages/out/multipart", 200],
      ["PUT", "/api/messages/out/m-1", 200],
      ["POST", "/api/messages/out/m-1", 200],
      ["DELETE", "/api/messages/in/m-1", 200],
      ["DELETE", "/api/statuses/17", 200],
    ];
    expect(cases.map(([m, p, s]) => [m, p, s, level(m, p, s)])).to.deep.equal(cases.map((c) => [...c, "debug"]));
  });

  it("logs the read confirmation, other endpoints' requests and every refusal or failure at info", () => {
    const cases: [string, string, number][] = [
      ["POST", "/messages/in/6d0c0c1c-1f7e-4c36-9d51-d3a9ad3c0d1e/read", 200],
      ["POST", "/messages/out", 400],
      ["POST", "/messages/out", 409],
      ["GET", "/messages/in", 401],
      ["POST", "/as4", 413],
      ["POST", "/as4", 503],
      ["GET", "/api/messages/in/peek", 500],
      ["DELETE", "/api/messages/out/m-1", 200],
      ["DELETE", "/api/conversations/7", 200],
      ["POST", "/api/subscriptions", 201],
      ["GET", "/health/live", 200],
      ["GET", "/metrics", 200],
      ["GET", "/console/", 200],
      ["POST", "/admin/participants", 201],
      ["GET", "/messagesx", 200],
      ["GET", "/no/such/path", 404],
    ];
    expect(cases.map(([m, p, s]) => [m, p, s, level(m, p, s)])).to.deep.equal(cases.map((c) => [...c, "info"]));
  });

  it("takes the AS4 endpoint's configured path", () => {
    expect([level("POST", "/peppol/as4", 200, "/peppol/as4"), level("POST", "/as4", 200, "/peppol/as4")]).to.deep.equal(["debug", "info"]);
  });
});
