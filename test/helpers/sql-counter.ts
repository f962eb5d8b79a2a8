import type { Sql, SqlStore } from "../../src/store/sql.js";

/**
 * Counts what a store's direct SQL runs: statements inside and outside transactions, the writes among those
 * outside (each its own commit), and transactions. It wraps the store object in place, so the repositories an
 * access point built on it at start-up are counted too. `statements` keeps each statement's text (whitespace
 * folded), for a failing test to say what changed.
 */
export interface SqlCount {
  statements: string[];
  inTransactions: number;
  outside: number;
  autocommittedWrites: number;
  transactions: number;
}

export interface SqlCounter {
  /** What ran since the last reset. */
  readonly count: SqlCount;
  reset(): void;
}

const WRITE = /^\s*(INSERT|UPDATE|DELETE)\b/i;
const fold = (sql: string) => sql.replace(/\s+/g, " ").trim();

export function countSql(store: SqlStore): SqlCounter {
  let count = empty();
  const original = { query: store.query.bind(store), execute: store.execute.bind(store), transaction: store.transaction.bind(store) };
  const outside = (sql: string) => {
    count.statements.push(fold(sql));
    count.outside += 1;
    if (WRITE.test(sql)) count.autocommittedWrites += 1;
  };
  const counted = (tx: Sql): Sql => ({
    provider: tx.provider,
    query: (sql, ...params) => {
      count.statements.push(fold(sql));
      count.inTransactions += 1;
      return tx.query(sql, ...params);
    },
    execute: (sql, ...params) => {
      count.statements.push(fold(sql));
      count.inTransactions += 1;
      return tx.execute(sql, ...params);
    },
  });
  const mutable = store as { -readonly [K in keyof SqlStore]: SqlStore[K] };
  mutable.query = (sql, ...params) => (outside(sql), original.query(sql, ...params));
  mutable.execute = (sql, ...params) => (outside(sql), original.execute(sql, ...params));
  mutable.transaction = (fn) => {
    count.transactions += 1;
    return original.transaction((tx) => fn(counted(tx)));
  };
  return {
    get count() {
      return count;
    },
    reset() {
      count = empty();
    },
  };
}

function empty(): SqlCount {
  return { statements: [], inTransactions: 0, outside: 0, autocommittedWrites: 0, transactions: 0 };
}
