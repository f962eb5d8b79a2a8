import type { SqlDriverAdapter, SqlDriverAdapterFactory, Transaction } from "@prisma/driver-adapter-utils";
import type { CommitDurability } from "./sqlite-durability.js";

/**
 * Prisma's better-sqlite3 adapter runs everything on one connection and takes its lock only to start a
 * transaction: a statement outside the transaction, issued by another request while the transaction waits for
 * I/O, runs on the same connection inside it. It then reads what the transaction has not committed, and its
 * write is undone if the transaction rolls back, although it was reported done. This wrapper makes the
 * connection one thing at a time: a statement outside a transaction waits until no transaction is open, and a
 * transaction holds the connection from BEGIN to COMMIT or ROLLBACK (which the client runs before calling
 * commit() or rollback()), in the order they asked. Each statement itself runs synchronously in the driver, so
 * holding the gate only around it costs a microtask.
 */
export class Gate {
  private tail: Promise<void> = Promise.resolve();
  /** Holders and waiters: zero when nobody holds the gate or waits for it. */
  private inUse = 0;

  private durability: CommitDurability | undefined;

  /**
   * From now on, whoever leaves waits until what it saw or wrote is on disk (sqlite-durability.ts). Set once,
   * when the connection is open and before anyone uses it.
   */
  syncCommits(durability: CommitDurability): void {
    this.durability = durability;
  }

  /**
   * True when nobody holds the gate or waits for it, and no commit waits for its sync: a synchronous statement
   * may run at once (then call {@link settle}).
   */
  get idle(): boolean {
    return this.inUse === 0 && (this.durability?.settled ?? true);
  }

  /** For a statement run at once on an idle gate: resolves once what it wrote, if anything, is on disk. */
  settle(): Promise<void> {
    return this.durability ? this.durability.until(this.durability.mark()) : Promise.resolve();
  }

  /**
   * Resolves, in the order asked, with the function that lets the next one in: at once, though the promise it
   * returns resolves only once every commit made so far is on disk. Once; later calls return the same promise.
   */
  enter(): Promise<() => Promise<void>> {
    this.inUse++;
    let release!: () => void;
    const done = new Promise<void>((resolve) => (release = resolve));
    const before = this.tail;
    this.tail = before.then(() => done);
    let left: Promise<void> | undefined;
    return before.then(() => () => {
      if (left) return left;
      let point: number | undefined;
      try {
        point = this.durability?.mark();
      } catch (err) {
        // The connection is closed (mark() reads it): the next one in finds that out for itself.
        left = Promise.reject(err as Error);
        return left;
      } finally {
        this.inUse--;
        release();
      }
      left = point === undefined ? Promise.resolve() : this.durability!.until(point);
      return left;
    });
  }
}

function serialised(inner: SqlDriverAdapter, gate: Gate): SqlDriverAdapter {
  const oneStatement = async <T>(run: () => Promise<T>): Promise<T> => {
    const leave = await gate.enter();
    try {
      return await run();
    } finally {
      await leave();
    }
  };
  return {
    provider: inner.provider,
    adapterName: inner.adapterName,
    queryRaw: (query) => oneStatement(() => inner.queryRaw(query)),
    executeRaw: (query) => oneStatement(() => inner.executeRaw(query)),
    executeScript: (script) => oneStatement(() => inner.executeScript(script)),
    ...(inner.getConnectionInfo ? { getConnectionInfo: () => inner.getConnectionInfo!() } : {}),
    dispose: () => inner.dispose(),
    async startTransaction(isolationLevel): Promise<Transaction> {
      const leave = await gate.enter();
      let tx: Transaction;
      try {
        tx = await inner.startTransaction(isolationLevel);
      } catch (err) {
        await leave();
        throw err;
      }
      // leave() lets the next one in once, however often it is called (a commit that failed, then a rollback).
      const end = (finish: () => Promise<void>) => async () => {
        try {
          await finish();
        } finally {
          await leave();
        }
      };
      // The transaction's own methods, bound to it; only its end lets the next one in.
      return {
        options: tx.options,
        provider: tx.provider,
        adapterName: tx.adapterName,
        queryRaw: tx.queryRaw.bind(tx),
        executeRaw: tx.executeRaw.bind(tx),
        ...(tx.createSavepoint ? { createSavepoint: tx.createSavepoint.bind(tx) } : {}),
        ...(tx.rollbackToSavepoint ? { rollbackToSavepoint: tx.rollbackToSavepoint.bind(tx) } : {}),
        ...(tx.releaseSavepoint ? { releaseSavepoint: tx.releaseSavepoint.bind(tx) } : {}),
        commit: end(() => tx.commit()),
        // A COMMIT that failed can leave SQLite inside the transaction, and the adapter's rollback() sends nothing:
        // the connection is rolled back here before the next one gets it (after the client's own ROLLBACK this
        // answers "no transaction is active", which is ignored).
        rollback: end(async () => {
          await tx.executeRaw({ sql: "ROLLBACK", args: [], argTypes: [] }).catch(() => undefined);
          await tx.rollback();
        }),
      };
    },
  };
}

/**
 * The adapter factory `inner` with each connection used by one transaction or one statement at a time, through
 * `gate`: the store's direct SQL (sqlite-sql.ts) on the same connection takes turns through the same gate.
 */
export function withSerialisedAccess(inner: SqlDriverAdapterFactory, gate: Gate): SqlDriverAdapterFactory {
  return {
    provider: inner.provider,
    adapterName: inner.adapterName,
    async connect(): Promise<SqlDriverAdapter> {
      return serialised(await inner.connect(), gate);
    },
  };
}
