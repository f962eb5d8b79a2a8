/**
 * Measures a large AS4 round trip with sender and receiver in separate processes, so each one's peak RSS
 * (process.resourceUsage().maxRSS) is its own. Not a test: run it by hand.
 *
 *   npx tsx scripts/as4-roundtrip-rss.ts [--mb 200] [--kind random|xml]
 *
 * The parent writes the payload, starts a receiver child (HTTP on 127.0.0.1) and a sender child
 * (prepare: gzip → sha256 → AES-GCM → spool, a temp file past its memory threshold, then POST streamed), and prints
 * sizes, times and maxRSS.
 */
import { spawn } from "node:child_process";
import { createHash, createPrivateKey, randomBytes, X509Certificate } from "node:crypto";
import { createReadStream, createWriteStream, existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { receiveUserMessage } from "../src/as4/inbound.js";
import { prepareUserMessage, send } from "../src/as4/outbound.js";
import type { Signer } from "../src/as4/wss-sign.js";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const SELF = fileURLToPath(import.meta.url);

function apKeys(cn: string): Signer {
  const cert = join(ROOT, "certs-example/ap", `${cn}.pem`);
  const key = join(ROOT, "certs-example/ap", `${cn}.key.pem`);
  if (!existsSync(cert) || !existsSync(key)) throw new Error(`missing ${cert}; run npm run make-certs first`);
  return { privateKey: createPrivateKey(readFileSync(key)), certificate: new X509Certificate(readFileSync(cert)) };
}

const maxRssMb = (): number => Math.round(process.resourceUsage().maxRSS / 1024);
/** RSS once the modules are loaded (tsx and its esbuild transform included), before any work. */
const baselineRssMb = Math.round(process.memoryUsage().rss / 1024 / 1024);

async function digestOf(stream: AsyncIterable<unknown>): Promise<{ sha256: string; size: number }> {
  const h = createHash("sha256");
  let size = 0;
  for await (const c of stream) {
    h.update(c as Buffer);
    size += (c as Buffer).length;
  }
  return { sha256: h.digest("hex"), size };
}

const sha256File = async (path: string): Promise<string> => (await digestOf(createReadStream(path))).sha256;

async function receiver(): Promise<void> {
  const key = apKeys("POP000002");
  const server = createServer((req, res) => {
    const t0 = performance.now();
    receiveUserMessage(req.headers["content-type"], req, { decryptionKey: key }).then(
      async (msg) => {
        const receiveMs = performance.now() - t0;
        const p = msg.payloads[0]!;
        const { sha256, size } = await digestOf(p.content.createReadStream());
        await msg.dispose();
        const result = { receiveMs: Math.round(receiveMs), size, sha256, baselineRssMb, maxRssMb: maxRssMb() };
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(result));
        server.close();
      },
      (err: unknown) => {
        req.resume();
        res.writeHead(500).end(String(err));
        server.close();
      },
    );
  });
  server.listen(0, "127.0.0.1", () => {
    process.stdout.write(JSON.stringify({ port: (server.address() as AddressInfo).port }) + "\n");
  });
}

async function sender(url: string, payload: string): Promise<void> {
  const t0 = performance.now();
  const msg = await prepareUserMessage({
    userMessage: {
      messageId: `${crypto.randomUUID()}@rss.test`,
      timestamp: new Date(),
      fromPartyId: "POP000001",
      toPartyId: "POP000002",
      service: { value: "urn:test:process", type: "cenbii-procid-ubl" },
      action: "busdox-docid-qns::urn:test:doc",
      conversationId: "rss",
      originalSender: { type: "iso6523-actorid-upis", value: "0192:987464291" },
      finalRecipient: { type: "iso6523-actorid-upis", value: "0192:123456789" },
    },
    payloads: [{ source: payload, mimeType: "application/xml" }],
    signer: apKeys("POP000001"),
    recipientCertificate: apKeys("POP000002").certificate,
  });
  const prepareMs = performance.now() - t0;
  const t1 = performance.now();
  const res = await send(url, msg);
  const sendMs = performance.now() - t1;
  await msg.dispose();
  process.stdout.write(
    JSON.stringify({
      prepareMs: Math.round(prepareMs),
      sendAndReceiveMs: Math.round(sendMs),
      gzipBytes: msg.payloads[0]!.wireBytes - 28,
      wireBytes: msg.contentLength,
      status: res.status,
      receiver: JSON.parse(res.body) as unknown,
      baselineRssMb,
      maxRssMb: maxRssMb(),
    }) + "\n",
  );
}

function child(args: string[]): { lines: AsyncIterable<string>; done: Promise<number> } {
  const p = spawn(process.execPath, ["--import", "tsx", SELF, ...args], { stdio: ["ignore", "pipe", "inherit"] });
  async function* lines(): AsyncGenerator<string> {
    let buf = "";
    for await (const c of p.stdout!) {
      buf += String(c);
      let i: number;
      while ((i = buf.indexOf("\n")) >= 0) {
        yield buf.slice(0, i);
        buf = buf.slice(i + 1);
      }
    }
  }
  return { lines: lines(), done: new Promise((r) => p.on("exit", (code) => r(code ?? 1))) };
}

async function firstLine(lines: AsyncIterable<string>): Promise<string> {
  for await (const l of lines) return l;
  throw new Error("child printed nothing");
}

async function writePayload(path: string, bytes: number, kind: string): Promise<void> {
  const out = createWriteStream(path);
  const chunk = 1024 * 1024;
  let i = 0;
  for (let written = 0; written < bytes; written += chunk) {
    const n = Math.min(chunk, bytes - written);
    let data: Buffer;
    if (kind === "xml") {
      // UBL-like lines: repetitive markup around varying values, so gzip shrinks it as it does real invoices
      const lines: string[] = [];
      let len = 0;
      while (len < n) {
        const line = `<cac:InvoiceLine><cbc:ID>${i++}</cbc:ID><cbc:Note>${randomBytes(6).toString("base64")}</cbc:Note><cbc:LineExtensionAmount currencyID="NOK">${(i * 7919) % 100000}.00</cbc:LineExtensionAmount></cac:InvoiceLine>\n`;
        lines.push(line);
        len += line.length;
      }
      data = Buffer.from(lines.join("")).subarray(0, n);
    } else {
      data = randomBytes(n);
    }
    if (!out.write(data)) await new Promise<void>((r) => out.once("drain", () => r()));
  }
  await new Promise<void>((r, j) => out.end((e?: Error | null) => (e ? j(e) : r())));
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv[0] === "receiver") return receiver();
  if (argv[0] === "sender") return sender(argv[1]!, argv[2]!);
  const opt = (name: string, dflt: string): string => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 && argv[i + 1] ? argv[i + 1]! : dflt;
  };
  const mb = Number(opt("mb", "200"));
  const kind = opt("kind", "random");
  const dir = await mkdtemp(join(tmpdir(), "as4-rss-"));
  try {
    const payload = join(dir, "payload");
    await writePayload(payload, mb * 1024 * 1024, kind);
    const expected = await sha256File(payload);
    const rx = child(["receiver"]);
    const { port } = JSON.parse(await firstLine(rx.lines)) as { port: number };
    const tx = child(["sender", `http://127.0.0.1:${port}/as4`, payload]);
    const result = JSON.parse(await firstLine(tx.lines)) as { receiver: { sha256: string; size: number } };
    await Promise.all([rx.done, tx.done]);
    console.log(
      JSON.stringify(
        {
          payload: { kind, bytes: (await stat(payload)).size },
          ...result,
          bytesEqual: result.receiver.sha256 === expected && result.receiver.size === (await stat(payload)).size,
          node: process.version,
        },
        null,
        2,
      ),
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
