import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import { createScratchDatabase } from "../../scripts/lib/pg-scratch.js";
import { PROVIDERS, skipWithoutPostgres } from "../helpers/provider-store.js";

const ROOT = path.resolve(import.meta.dirname, "../..");

/** What test/helpers/query-compiler-child.ts prints, run on `url`; rejects when it fails. */
function runChild(url: string): Promise<Record<string, number>> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "test/helpers/query-compiler-child.ts", url], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (b: Buffer) => (out += b));
    child.stderr.on("data", (b: Buffer) => (err += b));
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve(JSON.parse(out) as Record<string, number>) : reject(new Error(`child exited with ${code}: ${err}`))));
  });
}

/**
 * Prisma's client compiles and instantiates a WebAssembly query compiler (about 70 MB of resident memory) when it
 * connects. Every statement an access point runs after start-up is the direct SQL's, the operator console's
 * included, so the store leaves Prisma unconnected until its model API is used, and opening it, running a
 * message's statements and the console's reads must compile no WebAssembly at all.
 */
for (const provider of PROVIDERS) {
  describe(`store: Prisma's query compiler on ${provider}`, function () {
    this.timeout(60_000);
    before(async function () {
      await skipWithoutPostgres.call(this, provider);
    });

    it("is not compiled by opening the store, a message's statements or the console's reads, only by Prisma's model API", async () => {
      let url: string;
      let remove: () => Promise<void>;
      if (provider === "postgresql") {
        const scratch = await createScratchDatabase("query_compiler_");
        url = scratch.url;
        remove = () => scratch.drop();
      } else {
        const dir = await mkdtemp(path.join(os.tmpdir(), "dpi-ap-compiler-"));
        url = `file:${path.join(dir, "db.sqlite")}`;
        remove = () => rm(dir, { recursive: true, force: true });
      }
      try {
        expect(await runChild(url)).to.deep.equal({ opened: 0, message: 0, console: 0, statuses: 3, modelApi: 1 });
      } finally {
        await remove();
      }
    });
  });
}
