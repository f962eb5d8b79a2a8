-- CreateTable
CREATE TABLE "DpfMail" (
    "id" SERIAL NOT NULL,
    "messageId" TEXT NOT NULL,
    "receiverOrg" TEXT NOT NULL,
    "reason" TEXT NOT NULL,
    "detail" TEXT NOT NULL,
    "level" INTEGER NOT NULL,
    "blobKey" TEXT NOT NULL,
    "blobKind" TEXT NOT NULL,
    "address" TEXT NOT NULL,
    "tokenHash" TEXT,
    "linkExpiresAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL,
    "nextAttemptAt" TIMESTAMP(3),
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "leaseUntil" TIMESTAMP(3),
    "lastError" TEXT,
    "sentAt" TIMESTAMP(3),

    CONSTRAINT "DpfMail_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "DpfMail_messageId_key" ON "DpfMail"("messageId");

-- CreateIndex
CREATE UNIQUE INDEX "DpfMail_tokenHash_key" ON "DpfMail"("tokenHash");

-- CreateIndex
CREATE INDEX "DpfMail_nextAttemptAt_idx" ON "DpfMail"("nextAttemptAt");
