-- CreateTable
CREATE TABLE "Blob" (
    "key" TEXT NOT NULL PRIMARY KEY,
    "chunkBytes" INTEGER NOT NULL,
    "size" BIGINT,
    "sha256" BLOB,
    "createdAt" DATETIME NOT NULL,
    "touchedAt" DATETIME NOT NULL,
    "committedAt" DATETIME
);

-- CreateTable
CREATE TABLE "BlobChunk" (
    "key" TEXT NOT NULL,
    "seq" INTEGER NOT NULL,
    "bytes" BLOB NOT NULL,

    PRIMARY KEY ("key", "seq"),
    CONSTRAINT "BlobChunk_key_fkey" FOREIGN KEY ("key") REFERENCES "Blob" ("key") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateIndex
CREATE INDEX "Blob_committedAt_idx" ON "Blob"("committedAt");
