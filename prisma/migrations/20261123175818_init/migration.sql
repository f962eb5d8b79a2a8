-- CreateTable
CREATE TABLE "Message" (
    "id" TEXT NOT NULL,
    "direction" TEXT NOT NULL,
    "conversationId" TEXT NOT NULL,
    "documentType" TEXT NOT NULL,
    "process" TEXT NOT NULL,
    "standard" TEXT NOT NULL,
    "senderOrg" TEXT NOT NULL,
    "receiverOrg" TEXT NOT NULL,
    "avsenderOrg" TEXT NOT NULL,
    "databehandlerOrg" TEXT,
    "avsenderidentifikator" TEXT,
    "mottakerOrg" TEXT,
    "kanal" TEXT,
    "forretningsmelding" TEXT NOT NULL,
    "payloadKey" TEXT,
    "payloadSize" INTEGER,
    "payloadSha256" TEXT,
    "status" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL,
    "readAt" DATETIME,
    "expectedResponseAt" DATETIME,
    "as4MessageId" TEXT,
    "nextAttemptAt" DATETIME,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "leaseUntil" DATETIME,
    "lastError" TEXT,
    "signedReferences" TEXT,
    "nextPushAt" DATETIME,
    "pushAttempts" INTEGER NOT NULL DEFAULT 0,
    "pushedAt" DATETIME,

    PRIMARY KEY ("direction", "id")
);

-- CreateTable
CREATE TABLE "As4Exchange" (
    "as4MessageId" TEXT NOT NULL,
    "direction" TEXT NOT NULL,
    "messageId" TEXT,
    "peerPartyId" TEXT NOT NULL,
    "receiptMessageId" TEXT,
    "receipt" BLOB,
    "createdAt" DATETIME NOT NULL,

    PRIMARY KEY ("direction", "as4MessageId")
);

-- CreateTable
CREATE TABLE "MessageStatus" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "messageDirection" TEXT NOT NULL,
    "messageId" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "beskrivelse" TEXT,
    "createdAt" DATETIME NOT NULL,
    CONSTRAINT "MessageStatus_messageDirection_messageId_fkey" FOREIGN KEY ("messageDirection", "messageId") REFERENCES "Message" ("direction", "id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateIndex
CREATE UNIQUE INDEX "Message_as4MessageId_key" ON "Message"("as4MessageId");

-- CreateIndex
CREATE INDEX "Message_conversationId_idx" ON "Message"("conversationId");

-- CreateIndex
CREATE INDEX "Message_direction_receiverOrg_readAt_idx" ON "Message"("direction", "receiverOrg", "readAt");

-- CreateIndex
CREATE INDEX "Message_nextAttemptAt_idx" ON "Message"("nextAttemptAt");

-- CreateIndex
CREATE INDEX "Message_nextPushAt_idx" ON "Message"("nextPushAt");

-- CreateIndex
CREATE INDEX "As4Exchange_messageId_idx" ON "As4Exchange"("messageId");

-- CreateIndex
CREATE INDEX "MessageStatus_messageDirection_messageId_id_idx" ON "MessageStatus"("messageDirection", "messageId", "id");
