/**
 * Prisma's schema engine compiled to WebAssembly, driven directly. Developer tooling only (writing migration
 * SQL and checking that migrations match schema.prisma); the access point never loads it at run time because
 * the package is an internal, unversioned API.
 */
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { bindMigrationAwareSqlAdapterFactory } from "@prisma/driver-adapter-utils";
import * as bg from "@prisma/schema-engine-wasm/schema_engine_bg";

type Engine = Awaited<ReturnType<typeof bg.SchemaEngine.new>>;
let wasmReady: Promise<void> | undefined;

function initWasm(): Promise<void> {
  wasmReady ??= (async () => {
    const require = createRequire(import.meta.url);
    const wasmPath = path.join(path.dirname(require.resolve("@prisma/schema-engine-wasm/schema_engine_bg")), "schema_engine_bg.wasm");
    const { instance } = await WebAssembly.instantiate(await readFile(wasmPath), { "./schema_engine_bg.js": bg as unknown as WebAssembly.ModuleImports });
    (bg as unknown as { __wbg_set_wasm(e: unknown): void }).__wbg_set_wasm(instance.exports);
    (instance.exports as unknown as { __wbindgen_start(): void }).__wbindgen_start();
  })();
  return wasmReady;
}

interface RawAdapter {
  executeRaw(q: { sql: string; args: unknown[] }): Promise<number>;
  executeScript(script: string): Promise<void>;
}
interface RawFactory {
  connect(): Promise<RawAdapter>;
  connectToShadowDb?(): Promise<RawAdapter>;
}

/**
 * The engine replays a whole migration file through executeRaw, which better-sqlite3 refuses for more than one
 * statement; such scripts are retried through executeScript.
 */
function withScriptFallback(factory: RawFactory): RawFactory {
  const patch = (a: RawAdapter): RawAdapter => {
    const raw = a.executeRaw.bind(a);
    a.executeRaw = async (q) => {
      try {
        return await raw(q);
      } catch (err) {
        if (q.args.length > 0) throw err;
        await a.executeScript(q.sql);
        return 0;
      }
    };
    return a;
  };
  const wrapped = Object.create(factory) as RawFactory;
  wrapped.connect = async () => patch(await factory.connect());
  if (factory.connectToShadowDb) {
    const shadow = factory.connectToShadowDb.bind(factory);
    wrapped.connectToShadowDb = async () => patch(await shadow());
  }
  return wrapped;
}

/** Accepts any Prisma SQL driver adapter factory that can also open a shadow database. */
export async function openSchemaEngine(schemaPath: string, adapterFactory: object): Promise<{ engine: Engine; schema: string }> {
  await initWasm();
  const schema = await readFile(schemaPath, "utf8");
  const engine = await bg.SchemaEngine.new(
    { datamodels: [[schemaPath, schema]] },
    () => {},
    bindMigrationAwareSqlAdapterFactory(withScriptFallback(adapterFactory as RawFactory) as unknown as Parameters<typeof bindMigrationAwareSqlAdapterFactory>[0]),
  );
  return { engine, schema };
}

const NO_FILTERS = { externalTables: [], externalEnums: [] };

export async function migrationList(dir: string, names: { name: string; sql: string }[]) {
  return {
    baseDir: dir,
    lockfile: { path: "migration_lock.toml", content: await readFile(path.join(dir, "migration_lock.toml"), "utf8").catch(() => null) },
    shadowDbInitScript: "",
    migrationDirectories: names.map((m) => ({
      path: m.name,
      migrationFile: { path: "migration.sql", content: { tag: "ok" as const, value: m.sql } },
    })),
  };
}

/** SQL that takes a database built from `migrations` to the state schema.prisma describes ("" when in sync). */
export async function diffMigrationsToSchema(engine: Engine, schemaPath: string, schema: string, migrations: Awaited<ReturnType<typeof migrationList>>): Promise<string> {
  const out = await engine.diff({
    from: { tag: "migrations", ...migrations },
    to: { tag: "schemaDatamodel", files: [{ path: schemaPath, content: schema }] },
    script: true,
    exitCode: null,
    filters: NO_FILTERS,
  } as unknown as Parameters<Engine["diff"]>[0]);
  return (out as unknown as { stdout: string }).stdout ?? "";
}

export async function diagnoseHistory(engine: Engine, migrations: Awaited<ReturnType<typeof migrationList>>) {
  return engine.diagnoseMigrationHistory({ migrationsList: migrations, optInToShadowDatabase: false, filters: NO_FILTERS } as unknown as Parameters<Engine["diagnoseMigrationHistory"]>[0]);
}

/** SQL that takes the live database behind the engine's adapter to schema.prisma ("" when in sync). */
export async function diffDatabaseToSchema(engine: Engine, schemaPath: string, schema: string, configDir: string): Promise<string> {
  const files = [{ path: schemaPath, content: schema }];
  const out = await engine.diff({
    from: { tag: "schemaDatasource", files, configDir },
    to: { tag: "schemaDatamodel", files },
    script: true,
    exitCode: null,
    filters: NO_FILTERS,
  } as unknown as Parameters<Engine["diff"]>[0]);
  return (out as unknown as { stdout: string }).stdout ?? "";
}

export function isEmptyMigration(sql: string): boolean {
  const s = sql.trim();
  return s === "" || /^-- This is an empty migration\.?$/.test(s);
}
