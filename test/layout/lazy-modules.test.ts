import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { expect } from "chai";
import ts from "typescript";
import { loadModule } from "../../src/lazy-module.js";
import * as sql from "../../src/store/sql.js";

/**
 * What an access point loads at start-up is what it holds in memory for its whole life (issue #17): code only some
 * configurations use is loaded when they are configured (src/lazy-module.ts). This follows the static imports from
 * src/main.ts as the compiler emits them (imports used only as types are dropped) and checks that none of it is
 * reached.
 */

const ROOT = path.resolve(import.meta.dirname, "../..");
const SRC = path.join(ROOT, "src");

/** The modules a file imports statically once compiled: relative ones resolved to files, packages by name. */
function staticImportsOf(file: string): { files: string[]; packages: string[] } {
  const js = ts.transpileModule(readFileSync(file, "utf8"), {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: false },
    fileName: file,
  }).outputText;
  const files: string[] = [];
  const packages: string[] = [];
  const source = ts.createSourceFile(file + ".js", js, ts.ScriptTarget.Latest, false);
  for (const s of source.statements) {
    if (!(ts.isImportDeclaration(s) || ts.isExportDeclaration(s)) || !s.moduleSpecifier || !ts.isStringLiteral(s.moduleSpecifier)) continue;
    const specifier = s.moduleSpecifier.text;
    if (specifier.startsWith(".")) {
      const resolved = path.resolve(path.dirname(file), specifier).replace(/\.js$/, ".ts");
      if (existsSync(resolved)) files.push(resolved);
    } else if (!specifier.startsWith("node:")) {
      packages.push(specifier.startsWith("@") ? specifier.split("/").slice(0, 2).join("/") : specifier.split("/")[0]!);
    }
  }
  return { files, packages };
}

function loadedAtStart(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set([entry]);
  const packages = new Set<string>();
  const queue = [entry];
  for (let file = queue.shift(); file !== undefined; file = queue.shift()) {
    const found = staticImportsOf(file);
    for (const p of found.packages) packages.add(p);
    for (const f of found.files) {
      if (files.has(f)) continue;
      files.add(f);
      queue.push(f);
    }
  }
  return { files, packages };
}

describe("layout: what an access point loads at start-up", () => {
  const loaded = loadedAtStart(path.join(SRC, "main.ts"));
  const rel = (f: string) => path.relative(ROOT, f);

  it("reaches the access point itself (the walk follows imports)", () => {
    expect([...loaded.files].map(rel)).to.include.members(["src/server.ts", "src/app.ts", "src/store/prisma.ts", "src/channels/dpi/outbound.ts"]);
    expect([...loaded.packages]).to.include.members(["express", "better-sqlite3", "@prisma/adapter-better-sqlite3"]);
  });

  it("does not load PostgreSQL's driver, the eFormidling channels or the operator console", () => {
    expect([...loaded.packages].filter((p) => ["pg", "@prisma/adapter-pg", "nodemailer", "rhea"].includes(p))).to.deep.equal([]);
    const onlyWhenConfigured = ["src/server-nextmove.ts", "src/console/", "src/store/pg-", "src/store/generated-pg/", "src/api/nextmove/", "src/channels/dpf/", "src/channels/dpo/", "src/channels/dpe/"];
    // The console's settings are read with the rest of the configuration, which checks them at start-up.
    const settings = ["src/console/users.ts", "src/console/password.ts", "src/console/oidc-settings.ts"];
    const files = [...loaded.files].map(rel).filter((f) => !settings.includes(f));
    expect(files.filter((f) => onlyWhenConfigured.some((p) => f.startsWith(p)))).to.deep.equal([]);
  });
});

describe("loadModule", () => {
  it("under the test runner gives the copy of a module already loaded, not a second one", async () => {
    const again = await loadModule(() => import("../../src/store/sql.js"), new URL("../../src/store/sql.js", import.meta.url));
    expect(again.sqlOf).to.equal(sql.sqlOf);
  });
});
