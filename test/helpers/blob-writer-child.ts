/**
 * A process that starts writing a blob and never finishes: test/store/blob-store-contract.test.ts kills it
 * with SIGKILL mid-write to see what a crash leaves.
 *   node --import tsx test/helpers/blob-writer-child.ts folder <root> | database <url> <chunk bytes> | sqlite <file: url> <chunk bytes>
 */
import { PassThrough } from "node:stream";
import { FolderBlobStore, type BlobStore } from "../../src/store/blob-store.js";
import { PgBlobStore } from "../../src/store/pg-blob-store.js";
import { openDatabase } from "../../src/store/prisma.js";
import { sqlOf } from "../../src/store/sql.js";
import { SqliteBlobStore } from "../../src/store/sqlite-blob-store.js";

const [kind, location, chunkBytes] = process.argv.slice(2);
let store: BlobStore;
if (kind === "folder") {
  const folder = new FolderBlobStore(location!);
  await folder.init();
  store = folder;
} else if (kind === "sqlite") {
  store = new SqliteBlobStore(sqlOf((await openDatabase(location!)).db), { chunkBytes: Number(chunkBytes) });
} else {
  store = PgBlobStore.connect(location!, { chunkBytes: Number(chunkBytes) });
}
const source = new PassThrough();
store.write(source).then(
  () => console.log("finished (it should not have)"),
  (err: unknown) => console.log(`failed: ${String(err)}`),
);
// Several chunks' worth, then nothing more: the write stays in progress until the parent kills us.
for (let i = 0; i < 8; i++) source.write(Buffer.alloc(1000, i));
console.log("writing");
setInterval(() => {}, 60_000);
