/**
 * Prints the README's generated "Status models" tables; with --write, puts them into README.md between the
 * status-models markers (test/core/status-readme.test.ts fails until they match the code).
 *   npx tsx scripts/status-models-readme.ts [--write]
 */
import { readFileSync, writeFileSync } from "node:fs";
import { extractStatusModelsSection, renderStatusModelsMarkdown } from "../src/core/status/markdown.js";

const generated = renderStatusModelsMarkdown();
if (!process.argv.includes("--write")) {
  process.stdout.write(generated + "\n");
} else {
  const path = new URL("../README.md", import.meta.url);
  const readme = readFileSync(path, "utf8");
  const current = extractStatusModelsSection(readme);
  if (current === undefined) {
    process.stderr.write("README.md has no status-models markers; add them under '## Status models' first\n");
    process.exit(1);
  }
  writeFileSync(path, readme.replace(current, () => generated));
  process.stdout.write(current === generated ? "README.md already up to date\n" : "README.md updated\n");
}
