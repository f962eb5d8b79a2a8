import { randomBytes } from "node:crypto";
import { readdirSync, readlinkSync } from "node:fs";
import http from "node:http";
import path from "node:path";
import { expect } from "chai";
import { messagesOutForm, postMessage, type PostResult } from "../../src/client/messages-out-client.js";
import { ConfigError, loadConfig } from "../../src/config.js";
import { encryptDokumentpakke } from "../../src/dpi/dokumentpakke.js";
import { certificate } from "../helpers/certs.js";
import { buildMessage } from "../helpers/letters.js";
import { expectProblem } from "../helpers/problem.js";
import { startTestNetwork, type TestNetwork } from "../helpers/test-network.js";

/**
 * The corner-2 intake under hostile or careless clients: uploads that stop half-way, too many uploads at once,
 * sizes right at the limits, and requests the parsers cannot decode.
 */

const AVSENDER = "910076787";
const DOKUMENTPAKKE_LIMIT = 64 * 1024;
const FORRETNINGSMELDING_LIMIT = 512 * 1024;
const BOUNDARY = "intake-limits-boundary";

async function until(what: string, check: () => boolean, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Files of this process whose descriptors point into `dir` (Linux only). */
function openFilesUnder(dir: string): string[] {
  const open: string[] = [];
  for (const fd of readdirSync("/proc/self/fd")) {
    try {
      const target = readlinkSync(`/proc/self/fd/${fd}`);
      if (target.startsWith(dir + path.sep) || target === dir) open.push(target);
    } catch {
      // closed between readdir and readlink
    }
  }
  return open;
}

/**
 * A valid CMS EnvelopedData of exactly `size` bytes: pkijs' BER output for a small plaintext with one more
 * chunk of (random) encrypted content inserted at the start of the indefinite-length [0] encryptedContent.
 * The intake checks the structure and the fingerprint, not whether the content decrypts.
 */
async function cmsOfSize(size: number): Promise<Uint8Array> {
  const base = Buffer.from(await encryptDokumentpakke(new Uint8Array(100), certificate("business/984661185.pem")));
  // Layout of the end: A0 80 | 04 70 <112 bytes of AES-CBC> | five end-of-contents markers.
  const at = base.length - 10 - 112 - 2 - 2;
  expect(base.subarray(at, at + 4).toString("hex")).to.equal("a0800470");
  for (const headerLength of [2, 3, 4]) {
    const k = size - base.length - headerLength;
    const header = k < 128 ? [0x04, k] : k < 256 ? [0x04, 0x81, k] : [0x04, 0x82, k >> 8, k & 0xff];
    if (header.length !== headerLength || k < 0 || k >= 65536) continue;
    const cms = Buffer.concat([base.subarray(0, at + 2), Buffer.from(header), randomBytes(k), base.subarray(at + 2)]);
    expect(cms.length).to.equal(size);
    return cms;
  }
  throw new Error(`cannot build a CMS of ${size} bytes`);
}

function multipartHead(jws: string): Buffer {
  return Buffer.from(
    `--${BOUNDARY}\r\nContent-Disposition: form-data; name="forretningsmelding"; filename="sbd.jwt"\r\nContent-Type: application/jwt\r\n\r\n${jws}\r\n` +
      `--${BOUNDARY}\r\nContent-Disposition: form-data; name="dokumentpakke"; filename="asic.cms"\r\nContent-Type: application/cms\r\n\r\n`,
  );
}

/** Starts a POST /messages/out that announces `length` bytes and sends only `first`; the caller ends or destroys it. */
function partialUpload(url: string, token: string, first: Buffer, length = 1024 * 1024): { req: http.ClientRequest; response: Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> } {
  const req = http.request(`${url}/messages/out`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": `multipart/form-data; boundary=${BOUNDARY}`, "content-length": String(length) },
  });
  const response = new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }>((resolve, reject) => {
    req.on("response", (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body }));
      res.on("error", reject);
    });
    req.on("error", reject);
  });
  response.catch(() => undefined); // a destroyed request rejects; only tests that wait for an answer look
  req.write(first);
  return { req, response };
}

async function rawPost(url: string, token: string, contentType: string, body: Buffer): Promise<PostResult> {
  const res = await fetch(`${url}/messages/out`, { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": contentType }, body: new Uint8Array(body) });
  const text = await res.text();
  const type = res.headers.get("content-type");
  return { status: res.status, contentType: type, body: /json/.test(type ?? "") ? JSON.parse(text) : text };
}

describe("e2e: POST /messages/out intake limits", function () {
  let net: TestNetwork;
  let spool: string;
  before(async () => {
    net = await startTestNetwork({ env: { DPI_AP_MAX_DOKUMENTPAKKE_BYTES: String(DOKUMENTPAKKE_LIMIT), DPI_AP_MAX_CONCURRENT_UPLOADS: "1" } });
    spool = path.join(net.dir, "blobs", ".tmp");
  });
  after(async () => {
    await net?.close();
  });

  describe("an upload the client abandons", () => {
    it("leaves no temporary file and no open descriptor behind", async () => {
      const token = await net.token(AVSENDER);
      const msg = await buildMessage({ token });
      const upload = partialUpload(net.ap.url, token, Buffer.concat([multipartHead(msg.jws), randomBytes(8 * 1024)]));
      await until("the dokumentpakke to be spooled", () => readdirSync(spool).length === 1);
      expect(openFilesUnder(path.join(net.dir, "blobs"))).to.have.length(1);
      upload.req.destroy();
      await until("the spool to be cleaned", () => readdirSync(spool).length === 0 && openFilesUnder(path.join(net.dir, "blobs")).length === 0);
      expect(readdirSync(path.join(net.dir, "blobs")).filter((f) => f !== ".tmp")).to.deep.equal([]);
    });

    it("gives its upload slot back", async () => {
      const token = await net.token(AVSENDER);
      const msg = await buildMessage({ token });
      const upload = partialUpload(net.ap.url, token, Buffer.concat([multipartHead(msg.jws), randomBytes(1024)]));
      await until("the dokumentpakke to be spooled", () => readdirSync(spool).length === 1);
      upload.req.destroy();
      await until("the spool to be cleaned", () => readdirSync(spool).length === 0);
      const next = await buildMessage({ token });
      const r = await postMessage(net.ap.url, token, messagesOutForm(next.jws, next.cms));
      expect(r.status, JSON.stringify(r.body)).to.equal(201);
    });
  });

  describe("concurrent uploads", () => {
    it("503 too-many-uploads with Retry-After beyond DPI_AP_MAX_CONCURRENT_UPLOADS, answered without reading the body", async () => {
      const token = await net.token(AVSENDER);
      const msg = await buildMessage({ token });
      const first = partialUpload(net.ap.url, token, Buffer.concat([multipartHead(msg.jws), randomBytes(1024)]));
      try {
        await until("the first dokumentpakke to be spooled", () => readdirSync(spool).length === 1);
        // The second upload sends only its first bytes: the answer must come without the rest.
        const second = partialUpload(net.ap.url, token, multipartHead(msg.jws));
        try {
          const answer = await second.response;
          expect(answer.headers["content-type"]).to.equal("application/problem+json; charset=utf-8");
          expect(answer.headers["retry-after"]).to.equal("5");
          const problem = JSON.parse(answer.body);
          expect({ status: answer.status, code: problem.code, type: problem.type }).to.deep.equal({
            status: 503,
            code: "too-many-uploads",
            type: "urn:dpi-ap:problem:too-many-uploads",
          });
          expect(problem.detail).to.equal("the limit of 1 concurrent uploads is reached; try again in 5 seconds");
        } finally {
          second.req.destroy();
        }
      } finally {
        first.req.destroy();
      }
      await until("the spool to be cleaned", () => readdirSync(spool).length === 0);
    });

    it("DPI_AP_MAX_CONCURRENT_UPLOADS defaults to 32 and must be a positive integer", () => {
      expect(loadConfig({}).limits.concurrentUploads).to.equal(32);
      expect(loadConfig({ DPI_AP_MAX_CONCURRENT_UPLOADS: "3" }).limits.concurrentUploads).to.equal(3);
      for (const bad of ["0", "-1", "1.5", "many"]) {
        expect(() => loadConfig({ DPI_AP_MAX_CONCURRENT_UPLOADS: bad }), bad).to.throw(ConfigError, /DPI_AP_MAX_CONCURRENT_UPLOADS/);
      }
    });

    it("other requests are not limited by uploads in progress", async () => {
      const token = await net.token(AVSENDER);
      const msg = await buildMessage({ token });
      const first = partialUpload(net.ap.url, token, Buffer.concat([multipartHead(msg.jws), randomBytes(1024)]));
      try {
        await until("the dokumentpakke to be spooled", () => readdirSync(spool).length === 1);
        const res = await fetch(`${net.ap.url}/messages/in`, { headers: { authorization: `Bearer ${token}` } });
        expect(res.status).to.equal(204);
      } finally {
        first.req.destroy();
      }
      await until("the spool to be cleaned", () => readdirSync(spool).length === 0);
    });
  });

  describe("size limits are exact", () => {
    it(`accepts a dokumentpakke of exactly DPI_AP_MAX_DOKUMENTPAKKE_BYTES with a forretningsmelding of exactly its limit`, async () => {
      const token = await net.token(AVSENDER);
      const msg = await buildMessage({ token, cms: await cmsOfSize(DOKUMENTPAKKE_LIMIT) });
      // Trailing white space around the JWS is tolerated, so it can be padded to the limit.
      const padded = msg.jws + " ".repeat(FORRETNINGSMELDING_LIMIT - msg.jws.length);
      const r = await postMessage(net.ap.url, token, messagesOutForm(padded, msg.cms));
      expect(r.status, JSON.stringify(r.body)).to.equal(201);
    });

    it("413 for a dokumentpakke one byte over, naming the dokumentpakke limit", async () => {
      const token = await net.token(AVSENDER);
      const msg = await buildMessage({ token, cms: await cmsOfSize(DOKUMENTPAKKE_LIMIT + 1) });
      const r = await postMessage(net.ap.url, token, messagesOutForm(msg.jws, msg.cms));
      expectProblem(r, 413, "payload-too-large");
      expect((r.body as { detail: string }).detail).to.equal(`dokumentpakke exceeds the limit of ${DOKUMENTPAKKE_LIMIT} bytes`);
    });

    it("413 for a forretningsmelding one byte over, naming the forretningsmelding limit", async () => {
      const token = await net.token(AVSENDER);
      const msg = await buildMessage({ token });
      const padded = msg.jws + " ".repeat(FORRETNINGSMELDING_LIMIT + 1 - msg.jws.length);
      const r = await postMessage(net.ap.url, token, messagesOutForm(padded, msg.cms));
      expectProblem(r, 413, "payload-too-large");
      expect((r.body as { detail: string }).detail).to.equal(`forretningsmelding exceeds the limit of ${FORRETNINGSMELDING_LIMIT} bytes`);
    });

    it("leaves nothing behind after a 413", async () => {
      await until("the spool to be cleaned", () => readdirSync(spool).length === 0);
      expect(openFilesUnder(path.join(net.dir, "blobs"))).to.deep.equal([]);
    });
  });

  describe("malformed requests are 400, not 500", () => {
    it("400 multipart-malformed for multipart/form-data without a boundary", async () => {
      const token = await net.token(AVSENDER);
      const body = Buffer.from(`--x\r\nContent-Disposition: form-data; name="forretningsmelding"\r\n\r\nx.y.z\r\n--x--\r\n`);
      for (const type of ["multipart/form-data", "multipart/form-data; charset=utf-8", "multipart/form-data; boundary="]) {
        const r = await rawPost(net.ap.url, token, type, body);
        expectProblem(r, 400, "multipart-malformed");
        expect((r.body as { detail: string }).detail, type).to.equal("the Content-Type multipart/form-data names no boundary");
      }
    });

    it("400 multipart-malformed for a part whose filename* is not valid percent-encoding (the server stays up)", async () => {
      const token = await net.token(AVSENDER);
      const msg = await buildMessage({ token });
      const body = Buffer.concat([
        Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="forretningsmelding"\r\n\r\n${msg.jws}\r\n`),
        Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="dokumentpakke"; filename*=utf-8''%E0%A4%A\r\n\r\n`),
        Buffer.from(msg.cms!),
        Buffer.from(`\r\n--${BOUNDARY}--\r\n`),
      ]);
      const r = await rawPost(net.ap.url, token, `multipart/form-data; boundary=${BOUNDARY}`, body);
      expectProblem(r, 400, "multipart-malformed");
      const again = await buildMessage({ token });
      expect((await postMessage(net.ap.url, token, messagesOutForm(again.jws, again.cms))).status).to.equal(201);
    });

    it("400 path-invalid for a path id with invalid percent-encoding", async () => {
      const token = await net.token(AVSENDER);
      for (const [method, p] of [
        ["GET", "/messages/out/%E0%A4%A/statuses"],
        ["GET", "/messages/in/%zz"],
        ["POST", "/messages/in/%zz/read"],
        ["GET", "/status/%E0%A4%A"],
      ] as const) {
        const res = await fetch(`${net.ap.url}${p}`, { method, headers: { authorization: `Bearer ${token}` } });
        const text = await res.text();
        const r: PostResult = { status: res.status, contentType: res.headers.get("content-type"), body: JSON.parse(text) };
        expectProblem(r, 400, "path-invalid");
        expect((r.body as { detail: string }).detail, p).to.match(/^the path is not valid percent-encoding: /);
      }
    });
  });
});
