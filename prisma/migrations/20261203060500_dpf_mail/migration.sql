-- CreateTable
CREATE TABLE "DpfMail" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "messageId" TEXT NOT NULL,
    "receiverOrg" TEXT NOT NULL,
    "reason" TEXT NOT NULL,
    "detail" TEXT NOT NULL,
    "level" INTEGER NOT NULL,
    "blobKey" TEXT NOT NULL,
    "blobKind" TEXT NOT NULL,
    "address" TEXT NOT NULL,
    "tokenHash" TEXT,
    "linkExpiresAt" DATETIME,
    "createdAt" DATETIME NOT NULL,
    "nextAttemptAt" DATETIME,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "leaseUntil" DATETIME,
    "lastError" TEXT,
    "sentAt" DATETIME
);

-- CreateIndex
CREATE UNIQUE INDEX "DpfMail_messageId_key" ON "DpfMail"("messageId");

-- CreateIndex
CREATE UNIQUE INDEX "DpfMail_tokenHash_key" ON "DpfMail"("tokenHash");

-- CreateIndex
CREATE INDEX "DpfMail_nextAttemptAt_idx" ON "DpfMail"("nextAttemptAt");
