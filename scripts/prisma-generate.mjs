// Runs `prisma generate` for both schemas (SQLite, the default store, and PostgreSQL) without the native schema
// engine, which cannot be downloaded on every machine. generate does not need that engine; pointing the variable
// at a no-op binary stops the CLI from fetching it.
// Never run `prisma migrate` this way: it would report success and apply nothing.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

const SCHEMAS = ["prisma/schema.prisma", "prisma/postgresql/schema.prisma"];

const noop = process.platform === "win32" ? undefined : ["/bin/true", "/usr/bin/true"].find((p) => existsSync(p));
const env = { ...process.env, PRISMA_HIDE_UPDATE_MESSAGE: "1", CHECKPOINT_DISABLE: "1" };
if (noop && !env.PRISMA_SCHEMA_ENGINE_BINARY) env.PRISMA_SCHEMA_ENGINE_BINARY = noop;
for (const schema of SCHEMAS) {
  const r = spawnSync(process.execPath, ["node_modules/prisma/build/index.js", "generate", "--schema", schema], { stdio: "inherit", env });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
