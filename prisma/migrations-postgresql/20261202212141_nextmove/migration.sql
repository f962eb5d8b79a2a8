-- AlterTable
ALTER TABLE "ConversationStatus" ADD COLUMN     "publishedAt" TIMESTAMP(3);

-- CreateTable
CREATE TABLE "NextMoveMessage" (
    "direction" TEXT NOT NULL,
    "messageId" TEXT NOT NULL,
    "sbd" TEXT NOT NULL,
    "queuedAt" TIMESTAMP(3),
    "packageKey" TEXT,
    "packageSize" INTEGER,
    "createdAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "NextMoveMessage_pkey" PRIMARY KEY ("direction","messageId")
);

-- CreateTable
CREATE TABLE "NextMoveFile" (
    "id" SERIAL NOT NULL,
    "direction" TEXT NOT NULL,
    "messageId" TEXT NOT NULL,
    "filename" TEXT NOT NULL,
    "title" TEXT,
    "mimeType" TEXT NOT NULL,
    "size" INTEGER NOT NULL,
    "sha256" TEXT NOT NULL,
    "blobKey" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "NextMoveFile_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Subscription" (
    "id" SERIAL NOT NULL,
    "name" TEXT NOT NULL,
    "pushEndpoint" TEXT NOT NULL,
    "resource" TEXT NOT NULL,
    "event" TEXT NOT NULL,
    "filter" TEXT,
    "owner" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Subscription_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "WebhookDelivery" (
    "id" SERIAL NOT NULL,
    "subscriptionId" INTEGER NOT NULL,
    "statusId" INTEGER NOT NULL,
    "nextAttemptAt" TIMESTAMP(3),
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "leaseUntil" TIMESTAMP(3),
    "lastError" TEXT,
    "deliveredAt" TIMESTAMP(3),

    CONSTRAINT "WebhookDelivery_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "StatusQueueEntry" (
    "statusId" INTEGER NOT NULL,
    "channel" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "StatusQueueEntry_pkey" PRIMARY KEY ("statusId")
);

-- CreateIndex
CREATE INDEX "NextMoveMessage_direction_queuedAt_idx" ON "NextMoveMessage"("direction", "queuedAt");

-- CreateIndex
CREATE UNIQUE INDEX "NextMoveFile_direction_messageId_filename_key" ON "NextMoveFile"("direction", "messageId", "filename");

-- CreateIndex
CREATE INDEX "WebhookDelivery_nextAttemptAt_idx" ON "WebhookDelivery"("nextAttemptAt");

-- CreateIndex
CREATE UNIQUE INDEX "WebhookDelivery_subscriptionId_statusId_key" ON "WebhookDelivery"("subscriptionId", "statusId");

-- CreateIndex
CREATE INDEX "ConversationStatus_publishedAt_id_idx" ON "ConversationStatus"("publishedAt", "id");

-- AddForeignKey
ALTER TABLE "NextMoveMessage" ADD CONSTRAINT "NextMoveMessage_direction_messageId_fkey" FOREIGN KEY ("direction", "messageId") REFERENCES "Conversation"("direction", "messageId") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "NextMoveFile" ADD CONSTRAINT "NextMoveFile_direction_messageId_fkey" FOREIGN KEY ("direction", "messageId") REFERENCES "NextMoveMessage"("direction", "messageId") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "WebhookDelivery" ADD CONSTRAINT "WebhookDelivery_subscriptionId_fkey" FOREIGN KEY ("subscriptionId") REFERENCES "Subscription"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "WebhookDelivery" ADD CONSTRAINT "WebhookDelivery_statusId_fkey" FOREIGN KEY ("statusId") REFERENCES "ConversationStatus"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "StatusQueueEntry" ADD CONSTRAINT "StatusQueueEntry_statusId_fkey" FOREIGN KEY ("statusId") REFERENCES "ConversationStatus"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Statuses registered before webhooks and the status queue existed are not published afterwards.
UPDATE "ConversationStatus" SET "publishedAt" = "createdAt";
