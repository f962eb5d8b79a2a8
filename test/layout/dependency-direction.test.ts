import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { expect } from "chai";
import ts from "typescript";

/**
 * Dependencies point downwards (DESIGN.md, "Layout"): api → core → channels → protocol libraries. The core knows
 * no channel and no protocol; a channel knows no front door; the protocol libraries know neither the store nor
 * anything above them.
 */

const ROOT = path.resolve(import.meta.dirname, "../..");
const SRC = path.join(ROOT, "src");
const dir = (name: string) => path.join(SRC, name);

function tsFiles(d: string): string[] {
  return readdirSync(d, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(d, e.name);
    if (e.isDirectory()) return e.name === "generated" || e.name === "generated-pg" ? [] : tsFiles(full);
    return e.name.endsWith(".ts") ? [full] : [];
  });
}

/** Every relative module a file imports or re-exports (statically, with import(), or in an import type), resolved. */
function importsOf(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const add = (specifier: string) => {
    if (specifier.startsWith(".")) found.push(path.resolve(path.dirname(file), specifier));
  };
  const visit = (node: ts.Node) => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) add(node.moduleSpecifier.text);
    else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const [arg] = node.arguments;
      if (arg && ts.isStringLiteralLike(arg)) add(arg.text);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) add(node.argument.literal.text);
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

const inside = (d: string, p: string) => p === d || p.startsWith(d + path.sep);

/** `from`'s imports that land in any of `forbidden`, as "file: imported path" relative to the repository. */
function violations(from: readonly string[], forbidden: readonly string[]): string[] {
  return from.flatMap((d) =>
    tsFiles(dir(d)).flatMap((file) =>
      importsOf(file)
        .filter((target) => forbidden.some((f) => inside(dir(f), target)))
        .map((target) => `${path.relative(ROOT, file)}: ${path.relative(ROOT, target)}`),
    ),
  );
}

const PROTOCOL_LIBRARIES = ["as4", "peppol", "xml", "pki", "maskinporten"];

describe("layout: dependencies point downwards", () => {
  it("reads the layers it judges", () => {
    for (const d of ["core", "channels/dpi", "routing", ...PROTOCOL_LIBRARIES]) expect(tsFiles(dir(d)), d).to.not.be.empty;
  });

  it("src/core imports nothing from src/channels, src/api, src/as4 or src/peppol", () => {
    expect(violations(["core"], ["channels", "api", "as4", "peppol"])).to.deep.equal([]);
  });

  it("src/channels/dpi imports nothing from src/api", () => {
    expect(violations(["channels/dpi"], ["api"])).to.deep.equal([]);
  });

  it("the protocol libraries import nothing from src/store, src/api, src/core or src/channels", () => {
    expect(violations(PROTOCOL_LIBRARIES, ["store", "api", "core", "channels"])).to.deep.equal([]);
  });

  it("nothing imports the old src/relay", () => {
    expect(violations(["."], ["relay"])).to.deep.equal([]);
  });
});
