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
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,
    "readAt" TIMESTAMP(3),
    "expectedResponseAt" TIMESTAMP(3),
    "as4MessageId" TEXT,
    "nextAttemptAt" TIMESTAMP(3),
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "leaseUntil" TIMESTAMP(3),
    "lastError" TEXT,
    "signedReferences" TEXT,
    "nextPushAt" TIMESTAMP(3),
    "pushAttempts" INTEGER NOT NULL DEFAULT 0,
    "pushedAt" TIMESTAMP(3),

    CONSTRAINT "Message_pkey" PRIMARY KEY ("direction","id")
);

-- CreateTable
CREATE TABLE "As4Exchange" (
    "as4MessageId" TEXT NOT NULL,
    "direction" TEXT NOT NULL,
    "messageId" TEXT,
    "peerPartyId" TEXT NOT NULL,
    "receiptMessageId" TEXT,
    "receipt" BYTEA,
    "createdAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "As4Exchange_pkey" PRIMARY KEY ("direction","as4MessageId")
);

-- CreateTable
CREATE TABLE "MessageStatus" (
    "id" SERIAL NOT NULL,
    "messageDirection" TEXT NOT NULL,
    "messageId" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "beskrivelse" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "MessageStatus_pkey" PRIMARY KEY ("id")
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

-- AddForeignKey
ALTER TABLE "MessageStatus" ADD CONSTRAINT "MessageStatus_messageDirection_messageId_fkey" FOREIGN KEY ("messageDirection", "messageId") REFERENCES "Message"("direction", "id") ON DELETE CASCADE ON UPDATE CASCADE;
