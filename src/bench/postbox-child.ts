import { readFile } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { createLogger } from "../log.js";
import { keyStoreFromPem, parseCertificates } from "../pki/index.js";
import { loadExampleSigner } from "../sim/maskinporten/defaults.js";
import { startPostboxSim } from "../sim/postbox/index.js";
import { POSTBOX_CONFIG_ENV, type PostboxChildMessage, type PostboxParentMessage } from "./postbox-process.js";

/**
 * Entry of the postbox provider process the benchmark starts (corner 4): the postbox simulator polling
 * corner 3 with its own Maskinporten token, reporting its counters to the bench over IPC. A process of its
 * own so its decryption and signature checks neither share the bench's event loop (which times intake) nor
 * hide in either access point's CPU figures.
 */

const configSchema = z.object({
  accessPointUrl: z.string().url(),
  orgno: z.string().regex(/^\d{9}$/),
  tokenUrl: z.string().url(),
  issuer: z.string(),
  certsDir: z.string(),
  pollIntervalMs: z.number().int().positive(),
  pageSize: z.number().int().min(1).max(1000),
  concurrency: z.number().int().min(1).max(64),
  logLevel: z.string(),
});

async function main(): Promise<void> {
  const config = configSchema.parse(JSON.parse(process.env[POSTBOX_CONFIG_ENV] ?? "null"));
  const business = (f: string) => path.join(config.certsDir, "business", f);
  const store = keyStoreFromPem({
    key: await readFile(business(`${config.orgno}.key.pem`)),
    certificate: await readFile(business(`${config.orgno}.pem`)),
    chain: await readFile(business("intermediate-ca.pem")),
  });
  const anchors = [...parseCertificates(await readFile(business("root-ca.pem"))), ...parseCertificates(await readFile(business("intermediate-ca.pem")))];
  const grantSigner = await loadExampleSigner(config.orgno, config.certsDir);
  const sim = await startPostboxSim({
    accessPointUrl: config.accessPointUrl,
    orgno: config.orgno,
    signer: { privateKey: store.privateKey, certificate: store.certificate, chain: store.chain },
    grant: { ...grantSigner, audience: config.issuer, tokenEndpoint: config.tokenUrl },
    businessAnchors: anchors,
    pollIntervalMs: config.pollIntervalMs,
    pageSize: config.pageSize,
    concurrency: config.concurrency,
    log: createLogger(config.logLevel, "postbox"),
  });

  const send = (m: PostboxChildMessage) => process.send?.(m);
  const report = () => send({ type: "stats", stats: sim.stats(), rejected: sim.rejected().slice(0, 5).map((r) => `${r.messageId}: ${r.code}: ${r.detail}`) });
  const timer = setInterval(report, 200);
  send({ type: "ready" });

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    clearInterval(timer);
    await sim.stop();
    report();
    process.exit(0);
  };
  process.on("message", (m: PostboxParentMessage) => {
    if (m.type === "stop") void stop();
  });
  // The bench went away (even killed): nothing left to report to.
  process.on("disconnect", () => void stop());
  process.on("SIGTERM", () => void stop());
  process.on("SIGINT", () => void stop());
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
