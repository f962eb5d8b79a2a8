-- The conversation model: Message and MessageStatus, shaped for DPI, become the channel-neutral Conversation and
-- ConversationStatus, and DPI's own columns move to DpiMessage (same key, one row per DPI conversation).
-- Every row is copied before the old tables go. Hand-edited after `npm run db:diff` (no semicolons in comments:
-- Prisma's engine splits scripts on them).

-- CreateTable
CREATE TABLE "Conversation" (
    "direction" TEXT NOT NULL,
    "messageId" TEXT NOT NULL,
    "conversationId" TEXT NOT NULL,
    "channel" TEXT NOT NULL,
    "process" TEXT NOT NULL,
    "documentType" TEXT NOT NULL,
    "standard" TEXT NOT NULL,
    "senderIdentifier" TEXT NOT NULL,
    "senderName" TEXT,
    "receiverIdentifier" TEXT NOT NULL,
    "receiverName" TEXT,
    "messageReference" TEXT,
    "messageTitle" TEXT,
    "expiry" DATETIME,
    "finished" BOOLEAN NOT NULL DEFAULT false,
    "pollable" BOOLEAN NOT NULL DEFAULT false,
    "externalReference" TEXT,
    "status" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL,
    "nextAttemptAt" DATETIME,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "leaseUntil" DATETIME,
    "lastError" TEXT,
    "lastPeer" TEXT,
    "readAt" DATETIME,
    "lockedUntil" DATETIME,
    "nextPollAt" DATETIME,

    PRIMARY KEY ("direction", "messageId")
);

-- CreateTable
CREATE TABLE "ConversationStatus" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "direction" TEXT NOT NULL,
    "messageId" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "description" TEXT,
    "rawReceipt" TEXT,
    "createdAt" DATETIME NOT NULL,
    CONSTRAINT "ConversationStatus_direction_messageId_fkey" FOREIGN KEY ("direction", "messageId") REFERENCES "Conversation" ("direction", "messageId") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "DpiMessage" (
    "direction" TEXT NOT NULL,
    "messageId" TEXT NOT NULL,
    "avsenderOrg" TEXT NOT NULL,
    "databehandlerOrg" TEXT,
    "avsenderidentifikator" TEXT,
    "mottakerOrg" TEXT,
    "kanal" TEXT,
    "forretningsmelding" TEXT NOT NULL,
    "payloadKey" TEXT,
    "payloadSize" INTEGER,
    "payloadSha256" TEXT,
    "as4MessageId" TEXT,
    "signedReferences" TEXT,
    "nextPushAt" DATETIME,
    "pushAttempts" INTEGER NOT NULL DEFAULT 0,
    "pushedAt" DATETIME,
    "pushLeaseUntil" DATETIME,

    PRIMARY KEY ("direction", "messageId"),
    CONSTRAINT "DpiMessage_direction_messageId_fkey" FOREIGN KEY ("direction", "messageId") REFERENCES "Conversation" ("direction", "messageId") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateIndex
CREATE INDEX "Conversation_conversationId_idx" ON "Conversation"("conversationId");

-- CreateIndex
CREATE INDEX "Conversation_direction_receiverIdentifier_readAt_idx" ON "Conversation"("direction", "receiverIdentifier", "readAt");

-- CreateIndex
CREATE INDEX "Conversation_nextAttemptAt_idx" ON "Conversation"("nextAttemptAt");

-- CreateIndex
CREATE INDEX "Conversation_lastPeer_nextAttemptAt_idx" ON "Conversation"("lastPeer", "nextAttemptAt");

-- CreateIndex
CREATE INDEX "Conversation_nextPollAt_idx" ON "Conversation"("nextPollAt");

-- CreateIndex
CREATE INDEX "ConversationStatus_direction_messageId_id_idx" ON "ConversationStatus"("direction", "messageId", "id");

-- CreateIndex
CREATE UNIQUE INDEX "DpiMessage_as4MessageId_key" ON "DpiMessage"("as4MessageId");

-- CreateIndex
CREATE INDEX "DpiMessage_nextPushAt_idx" ON "DpiMessage"("nextPushAt");

-- Every message becomes a DPI conversation. finished and pollable follow from its status history as the
-- integrasjonspunkt sets them (src/core/status/flags.ts): an outgoing DPI letter is finished once it has any of
-- LEVERT, LEST, FEIL, FEILET, LEVETID_UTLOPT (incoming DPI messages only ever have MOTTATT), and DPI never polls.
INSERT INTO "Conversation" (
    "direction", "messageId", "conversationId", "channel", "process", "documentType", "standard",
    "senderIdentifier", "receiverIdentifier", "expiry", "finished", "pollable", "status", "createdAt", "updatedAt",
    "nextAttemptAt", "attempts", "leaseUntil", "lastError", "lastPeer", "readAt"
)
SELECT
    "direction", "id", "conversationId", 'DPI', "process", "documentType", "standard",
    "senderOrg", "receiverOrg", "expectedResponseAt",
    CASE WHEN "direction" = 'OUT' AND EXISTS (
        SELECT 1 FROM "MessageStatus"
        WHERE "MessageStatus"."messageDirection" = "Message"."direction" AND "MessageStatus"."messageId" = "Message"."id"
          AND "MessageStatus"."status" IN ('LEVERT', 'LEST', 'FEIL', 'FEILET', 'LEVETID_UTLOPT')
    ) THEN true ELSE false END,
    false, "status", "createdAt", "updatedAt",
    "nextAttemptAt", "attempts", "leaseUntil", "lastError", "lastPeer", "readAt"
FROM "Message";

INSERT INTO "DpiMessage" (
    "direction", "messageId", "avsenderOrg", "databehandlerOrg", "avsenderidentifikator", "mottakerOrg", "kanal",
    "forretningsmelding", "payloadKey", "payloadSize", "payloadSha256", "as4MessageId", "signedReferences",
    "nextPushAt", "pushAttempts", "pushedAt"
)
SELECT
    "direction", "id", "avsenderOrg", "databehandlerOrg", "avsenderidentifikator", "mottakerOrg", "kanal",
    "forretningsmelding", "payloadKey", "payloadSize", "payloadSha256", "as4MessageId", "signedReferences",
    "nextPushAt", "pushAttempts", "pushedAt"
FROM "Message";

-- The history keeps its ids (they give its order) and its times. Only rows of a stored message exist where
-- foreign keys were enforced, and only those are kept.
INSERT INTO "ConversationStatus" ("id", "direction", "messageId", "status", "description", "createdAt")
SELECT "MessageStatus"."id", "MessageStatus"."messageDirection", "MessageStatus"."messageId", "MessageStatus"."status", "MessageStatus"."beskrivelse", "MessageStatus"."createdAt"
FROM "MessageStatus"
JOIN "Message" ON "Message"."direction" = "MessageStatus"."messageDirection" AND "Message"."id" = "MessageStatus"."messageId"
ORDER BY "MessageStatus"."id";

-- DropTable (the history first: dropping Message deletes its rows, which would cascade to it)
DROP TABLE "MessageStatus";

-- DropTable
DROP TABLE "Message";
