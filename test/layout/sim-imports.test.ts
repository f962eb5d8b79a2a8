import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { expect } from "chai";
import ts from "typescript";

/**
 * Production code never imports the simulators (DESIGN.md, "Layout"): the sandbox is composed in src/main.ts
 * behind a lazy import. Only src/sim itself and the benchmark (src/bench), which runs a whole network of
 * simulated parties, may import src/sim; src/main.ts may only with `await import(...)`.
 */

const ROOT = path.resolve(import.meta.dirname, "../..");
const SRC = path.join(ROOT, "src");
const SIM = path.join(SRC, "sim");
const ALLOWED = [SIM, path.join(SRC, "bench")];
const MAIN = path.join(SRC, "main.ts");

interface Import {
  file: string;
  specifier: string;
  lazy: boolean;
}

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === "generated" || e.name === "generated-pg" ? [] : tsFiles(full);
    return e.name.endsWith(".ts") ? [full] : [];
  });
}

/** Every module a file imports or re-exports, statically or with import(), as written. */
function importsOf(file: string): Import[] {
  const source = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.Latest, true);
  const found: Import[] = [];
  const rel = path.relative(ROOT, file);
  const visit = (node: ts.Node) => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      found.push({ file: rel, specifier: node.moduleSpecifier.text, lazy: false });
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const [arg] = node.arguments;
      found.push({ file: rel, specifier: arg && ts.isStringLiteralLike(arg) ? arg.text : `<computed: ${arg?.getText(source)}>`, lazy: true });
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      found.push({ file: rel, specifier: node.argument.literal.text, lazy: false });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

const inside = (dir: string, p: string) => p === dir || p.startsWith(dir + path.sep);
const intoSim = (i: Import) => i.specifier.startsWith(".") && inside(SIM, path.resolve(ROOT, path.dirname(i.file), i.specifier));

describe("layout: production code does not import src/sim", () => {
  const production = tsFiles(SRC).filter((f) => !ALLOWED.some((dir) => inside(dir, f)));
  const imports = production.flatMap(importsOf);

  it("reads the whole of src/ outside src/sim and src/bench", () => {
    expect(production).to.include.members([MAIN, path.join(SRC, "config.ts"), path.join(SRC, "server.ts")]);
    expect(production.length).to.be.greaterThan(100);
  });

  it("no file imports from src/sim, except src/main.ts lazily", () => {
    const offending = imports.filter((i) => intoSim(i) && !(i.file === "src/main.ts" && i.lazy)).map((i) => `${i.file}: ${i.specifier}`);
    expect(offending).to.deep.equal([]);
  });

  it("no computed import() hides a module name", () => {
    expect(imports.filter((i) => i.specifier.startsWith("<computed")).map((i) => `${i.file}: ${i.specifier}`)).to.deep.equal([]);
  });

  it("src/main.ts composes the sandbox with exactly one lazy import", () => {
    expect(imports.filter((i) => i.file === "src/main.ts" && intoSim(i))).to.deep.equal([{ file: "src/main.ts", specifier: "./sim/sandbox-process.js", lazy: true }]);
  });
});
