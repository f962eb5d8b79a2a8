/**
 * Prisma's schema engine compiled to WebAssembly, driven directly. Developer tooling only (writing migration
 * SQL and checking that migrations match schema.prisma); the access point never loads it at run time because
 * the package is an internal, unversioned API.
 */
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { PrismaPg } from "@prisma/adapter-pg";
import { bindMigrationAwareSqlAdapterFactory } from "@prisma/driver-adapter-utils";
import * as bg from "@prisma/schema-engine-wasm/schema_engine_bg";
import { createScratchDatabase } from "./pg-scratch.js";

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
  startTransaction?(isolationLevel?: unknown): Promise<object>;
}
interface RawFactory {
  connect(): Promise<RawAdapter>;
  connectToShadowDb?(): Promise<RawAdapter>;
}

/** PostgreSQL's one-byte internal type `"char"` (pg_class.relkind, pg_constraint.contype, ...). */
const PG_CHAR_OID = 18;
const PG_TEXT_OID = 25;

type PerformIO = (q: unknown) => Promise<{ fields: { dataTypeID: number }[] }>;

/**
 * @prisma/adapter-pg 7.10 refuses result columns of type `"char"` ("Column type 'char' could not be
 * deserialized"), and the engine's schema describer selects such catalogue columns. node-postgres already reads
 * them as one-character strings, so they are reported as text.
 */
function withPgCharAsText<Q extends object>(q: Q): Q {
  const io = (q as { performIO?: PerformIO }).performIO;
  if ((q as { provider?: string }).provider !== "postgres" || typeof io !== "function") return q;
  (q as { performIO: PerformIO }).performIO = async (query) => {
    const result = await io.call(q, query);
    for (const f of result.fields) if (f.dataTypeID === PG_CHAR_OID) f.dataTypeID = PG_TEXT_OID;
    return result;
  };
  return q;
}

/**
 * Adapts a driver adapter to what the engine sends it:
 * - it replays a whole migration file through executeRaw, which better-sqlite3 refuses for more than one
 *   statement; such scripts are retried through executeScript;
 * - on PostgreSQL, catalogue columns of type "char" (see withPgCharAsText).
 */
function forEngine(factory: RawFactory): RawFactory {
  const patch = (a: RawAdapter): RawAdapter => {
    withPgCharAsText(a);
    if (a.startTransaction) {
      const start = a.startTransaction.bind(a);
      a.startTransaction = async (level) => withPgCharAsText(await start(level));
    }
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

/**
 * The PostgreSQL adapter factory for the engine, with its own shadow databases. @prisma/adapter-pg 7.10's
 * connectToShadowDb gets two things wrong: it opens the shadow as `{ ...config, database }`, where node-postgres
 * lets a connectionString override `database` (the "shadow" is then the main database itself), and its cleanup
 * drops the database before closing its pool on it, which PostgreSQL refuses.
 */
export function postgresAdapter(url: string): object {
  const factory = new PrismaPg({ connectionString: url });
  return {
    provider: factory.provider,
    adapterName: factory.adapterName,
    connect: () => factory.connect(),
    async connectToShadowDb() {
      const shadow = await createScratchDatabase("prisma_migrate_shadow_db", url);
      try {
        const adapter = await new PrismaPg({ connectionString: shadow.url }).connect();
        const dispose = adapter.dispose.bind(adapter);
        adapter.dispose = async () => {
          await dispose();
          await shadow.drop();
        };
        return adapter;
      } catch (err) {
        await shadow.drop();
        throw err;
      }
    },
  };
}

/** Accepts any Prisma SQL driver adapter factory that can also open a shadow database. */
export async function openSchemaEngine(schemaPath: string, adapterFactory: object): Promise<{ engine: Engine; schema: string }> {
  await initWasm();
  const schema = await readFile(schemaPath, "utf8");
  const engine = await bg.SchemaEngine.new(
    { datamodels: [[schemaPath, schema]] },
    () => {},
    bindMigrationAwareSqlAdapterFactory(forEngine(adapterFactory as RawFactory) as unknown as Parameters<typeof bindMigrationAwareSqlAdapterFactory>[0]),
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
