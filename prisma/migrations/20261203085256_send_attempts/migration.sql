-- CreateTable
CREATE TABLE "SendAttempt" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "direction" TEXT NOT NULL,
    "messageId" TEXT NOT NULL,
    "attempt" INTEGER NOT NULL,
    "startedAt" DATETIME NOT NULL,
    "finishedAt" DATETIME NOT NULL,
    "peer" TEXT,
    "outcome" TEXT NOT NULL,
    "error" TEXT,
    "worker" TEXT,
    "routingSha256" TEXT,
    CONSTRAINT "SendAttempt_direction_messageId_fkey" FOREIGN KEY ("direction", "messageId") REFERENCES "Conversation" ("direction", "messageId") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "SendAttempt_routingSha256_fkey" FOREIGN KEY ("routingSha256") REFERENCES "RoutingRecord" ("sha256") ON DELETE SET NULL ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "RoutingRecord" (
    "sha256" TEXT NOT NULL PRIMARY KEY,
    "kind" TEXT NOT NULL,
    "sourceUrl" TEXT NOT NULL,
    "mediaType" TEXT NOT NULL,
    "fetchedAt" DATETIME NOT NULL,
    "body" BLOB NOT NULL
);

-- CreateIndex
CREATE INDEX "SendAttempt_direction_messageId_id_idx" ON "SendAttempt"("direction", "messageId", "id");
