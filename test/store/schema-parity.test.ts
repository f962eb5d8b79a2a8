import { readFile } from "node:fs/promises";
import path from "node:path";
import { expect } from "chai";

const root = path.resolve(import.meta.dirname, "../..");

/** Everything after the datasource block: the models (with their doc comments), enums and so on. */
function modelsOf(schema: string): string {
  const m = /^datasource\s+\w+\s*\{[^}]*\}\s*$/m.exec(schema);
  if (!m) throw new Error("no datasource block");
  return schema.slice(m.index + m[0].length).trim();
}

describe("store/schema parity", () => {
  it("the PostgreSQL schema declares exactly the models of the SQLite schema", async () => {
    const sqlite = await readFile(path.join(root, "prisma/schema.prisma"), "utf8");
    const pg = await readFile(path.join(root, "prisma/postgresql/schema.prisma"), "utf8");
    expect(sqlite).to.match(/provider\s*=\s*"sqlite"/);
    expect(pg).to.match(/provider\s*=\s*"postgresql"/);
    const models = modelsOf(sqlite);
    expect(models).to.match(/^model Conversation \{/m);
    expect(models).to.match(/^model ConversationStatus \{/m);
    expect(models).to.match(/^model DpiMessage \{/m);
    expect(models).to.match(/^model As4Exchange \{/m);
    expect(modelsOf(pg)).to.equal(models);
  });
});
