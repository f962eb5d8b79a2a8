-- CreateTable
CREATE TABLE "StatusReply" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "channel" TEXT NOT NULL,
    "messageId" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "sbd" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL,
    "nextAttemptAt" DATETIME,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "leaseUntil" DATETIME,
    "lastError" TEXT,
    "sentAt" DATETIME
);

-- CreateIndex
CREATE INDEX "StatusReply_channel_nextAttemptAt_idx" ON "StatusReply"("channel", "nextAttemptAt");

-- CreateIndex
CREATE UNIQUE INDEX "StatusReply_channel_messageId_status_key" ON "StatusReply"("channel", "messageId", "status");
