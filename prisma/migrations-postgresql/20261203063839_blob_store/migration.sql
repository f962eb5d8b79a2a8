-- CreateTable
CREATE TABLE "Blob" (
    "key" TEXT NOT NULL,
    "chunkBytes" INTEGER NOT NULL,
    "size" BIGINT,
    "sha256" BYTEA,
    "createdAt" TIMESTAMP(3) NOT NULL,
    "touchedAt" TIMESTAMP(3) NOT NULL,
    "committedAt" TIMESTAMP(3),

    CONSTRAINT "Blob_pkey" PRIMARY KEY ("key")
);

-- CreateTable
CREATE TABLE "BlobChunk" (
    "key" TEXT NOT NULL,
    "seq" INTEGER NOT NULL,
    "bytes" BYTEA NOT NULL,

    CONSTRAINT "BlobChunk_pkey" PRIMARY KEY ("key","seq")
);

-- CreateIndex
CREATE INDEX "Blob_committedAt_idx" ON "Blob"("committedAt");

-- AddForeignKey
ALTER TABLE "BlobChunk" ADD CONSTRAINT "BlobChunk_key_fkey" FOREIGN KEY ("key") REFERENCES "Blob"("key") ON DELETE CASCADE ON UPDATE CASCADE;

-- Payloads are encrypted, so compressing chunks only costs time. Uncompressed (EXTERNAL) storage also lets
-- substring() read a slice of a chunk without fetching all of it, which random access to a blob uses.
ALTER TABLE "BlobChunk" ALTER COLUMN "bytes" SET STORAGE EXTERNAL;
