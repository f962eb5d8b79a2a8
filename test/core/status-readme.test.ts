import { expect } from "chai";
import { readFileSync } from "node:fs";
import { extractStatusModelsSection, README_BEGIN, README_END, renderStatusModelsMarkdown } from "../../src/core/status/markdown.js";
import { CHANNELS, STATUS_MODELS } from "../../src/core/status/index.js";

const README = new URL("../../README.md", import.meta.url);

describe("core/status: README 'Status models'", () => {
  const readme = readFileSync(README, "utf8");

  it("has the section before '## Layout'", () => {
    const section = readme.indexOf("\n## Status models\n");
    expect(section).to.be.greaterThan(0);
    expect(readme.indexOf(README_BEGIN)).to.be.greaterThan(section);
    expect(readme.indexOf(README_END)).to.be.lessThan(readme.indexOf("\n## Layout\n"));
  });

  it("shows exactly the tables in src/core/status (run `npx tsx scripts/status-models-readme.ts --write` after changing them)", () => {
    expect(extractStatusModelsSection(readme)).to.equal(renderStatusModelsMarkdown());
  });

  it("has one row per status of every channel", () => {
    const generated = renderStatusModelsMarkdown();
    for (const c of CHANNELS) {
      const part = generated.slice(generated.indexOf(`### ${c}\n`), generated.indexOf("\n### ", generated.indexOf(`### ${c}\n`) + 1));
      const rows = part.split("\n").filter((l) => /^\| [A-ZÅ_]+ \| (OUTGOING|INCOMING) \|/.test(l));
      expect(rows.map((l) => l.split(" | ").slice(0, 2).join(" ").slice(2)), c).to.deep.equal(STATUS_MODELS[c].statuses.map((d) => `${d.status} ${d.direction}`));
    }
  });
});
