-- AlterTable
ALTER TABLE "ConversationStatus" ADD COLUMN "publishedAt" DATETIME;

-- CreateTable
CREATE TABLE "NextMoveMessage" (
    "direction" TEXT NOT NULL,
    "messageId" TEXT NOT NULL,
    "sbd" TEXT NOT NULL,
    "queuedAt" DATETIME,
    "packageKey" TEXT,
    "packageSize" INTEGER,
    "createdAt" DATETIME NOT NULL,

    PRIMARY KEY ("direction", "messageId"),
    CONSTRAINT "NextMoveMessage_direction_messageId_fkey" FOREIGN KEY ("direction", "messageId") REFERENCES "Conversation" ("direction", "messageId") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "NextMoveFile" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "direction" TEXT NOT NULL,
    "messageId" TEXT NOT NULL,
    "filename" TEXT NOT NULL,
    "title" TEXT,
    "mimeType" TEXT NOT NULL,
    "size" INTEGER NOT NULL,
    "sha256" TEXT NOT NULL,
    "blobKey" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL,
    CONSTRAINT "NextMoveFile_direction_messageId_fkey" FOREIGN KEY ("direction", "messageId") REFERENCES "NextMoveMessage" ("direction", "messageId") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "Subscription" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "name" TEXT NOT NULL,
    "pushEndpoint" TEXT NOT NULL,
    "resource" TEXT NOT NULL,
    "event" TEXT NOT NULL,
    "filter" TEXT,
    "owner" TEXT,
    "createdAt" DATETIME NOT NULL
);

-- CreateTable
CREATE TABLE "WebhookDelivery" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "subscriptionId" INTEGER NOT NULL,
    "statusId" INTEGER NOT NULL,
    "nextAttemptAt" DATETIME,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "leaseUntil" DATETIME,
    "lastError" TEXT,
    "deliveredAt" DATETIME,
    CONSTRAINT "WebhookDelivery_subscriptionId_fkey" FOREIGN KEY ("subscriptionId") REFERENCES "Subscription" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "WebhookDelivery_statusId_fkey" FOREIGN KEY ("statusId") REFERENCES "ConversationStatus" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "StatusQueueEntry" (
    "statusId" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "channel" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL,
    CONSTRAINT "StatusQueueEntry_statusId_fkey" FOREIGN KEY ("statusId") REFERENCES "ConversationStatus" ("id") ON DELETE CASCADE ON UPDATE CASCADE
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

-- Statuses registered before webhooks and the status queue existed are not published afterwards.
UPDATE "ConversationStatus" SET "publishedAt" = "createdAt";
