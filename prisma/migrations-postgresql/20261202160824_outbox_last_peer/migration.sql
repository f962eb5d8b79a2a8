-- AlterTable
ALTER TABLE "Message" ADD COLUMN     "lastPeer" TEXT;

-- CreateIndex
CREATE INDEX "Message_lastPeer_nextAttemptAt_idx" ON "Message"("lastPeer", "nextAttemptAt");
