-- CreateTable
CREATE TABLE "StatusReply" (
    "id" SERIAL NOT NULL,
    "channel" TEXT NOT NULL,
    "messageId" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "sbd" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL,
    "nextAttemptAt" TIMESTAMP(3),
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "leaseUntil" TIMESTAMP(3),
    "lastError" TEXT,
    "sentAt" TIMESTAMP(3),

    CONSTRAINT "StatusReply_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "StatusReply_channel_nextAttemptAt_idx" ON "StatusReply"("channel", "nextAttemptAt");

-- CreateIndex
CREATE UNIQUE INDEX "StatusReply_channel_messageId_status_key" ON "StatusReply"("channel", "messageId", "status");
