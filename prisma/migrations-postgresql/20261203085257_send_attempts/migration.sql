-- CreateTable
CREATE TABLE "SendAttempt" (
    "id" SERIAL NOT NULL,
    "direction" TEXT NOT NULL,
    "messageId" TEXT NOT NULL,
    "attempt" INTEGER NOT NULL,
    "startedAt" TIMESTAMP(3) NOT NULL,
    "finishedAt" TIMESTAMP(3) NOT NULL,
    "peer" TEXT,
    "outcome" TEXT NOT NULL,
    "error" TEXT,
    "worker" TEXT,
    "routingSha256" TEXT,

    CONSTRAINT "SendAttempt_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "RoutingRecord" (
    "sha256" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "sourceUrl" TEXT NOT NULL,
    "mediaType" TEXT NOT NULL,
    "fetchedAt" TIMESTAMP(3) NOT NULL,
    "body" BYTEA NOT NULL,

    CONSTRAINT "RoutingRecord_pkey" PRIMARY KEY ("sha256")
);

-- CreateIndex
CREATE INDEX "SendAttempt_direction_messageId_id_idx" ON "SendAttempt"("direction", "messageId", "id");

-- AddForeignKey
ALTER TABLE "SendAttempt" ADD CONSTRAINT "SendAttempt_direction_messageId_fkey" FOREIGN KEY ("direction", "messageId") REFERENCES "Conversation"("direction", "messageId") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "SendAttempt" ADD CONSTRAINT "SendAttempt_routingSha256_fkey" FOREIGN KEY ("routingSha256") REFERENCES "RoutingRecord"("sha256") ON DELETE SET NULL ON UPDATE CASCADE;
