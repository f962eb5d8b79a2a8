import { expect } from "chai";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

/**
 * Batched logging (DPI_AP_LOG_SYNC=false) must not drop what is pending when the process ends by itself: the
 * lines of a burst logged just before process.exit all reach stdout.
 */
const LOG_MODULE = fileURLToPath(new URL("../../src/log.ts", import.meta.url));

function burst(sync: boolean, lines: number): string[] {
  const script = `
    import { createLogger } from ${JSON.stringify(LOG_MODULE)};
    const log = createLogger("info", "t", undefined, { sync: ${sync} });
    for (let i = 0; i < ${lines}; i++) log.info({ i }, "line");
    process.exit(0);
  `;
  const r = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { encoding: "utf8", timeout: 60_000 });
  expect(r.status, r.stderr).to.equal(0);
  return r.stdout.trimEnd().split("\n");
}

describe("log: stdout destination", () => {
  for (const sync of [false, true]) {
    it(`sync=${sync}: every line of a burst logged right before process.exit is written, in order`, () => {
      const out = burst(sync, 5000);
      expect(out).to.have.length(5000);
      expect(out.map((l) => (JSON.parse(l) as { i: number }).i)).to.deep.equal(Array.from({ length: 5000 }, (_, i) => i));
    });
  }
});
