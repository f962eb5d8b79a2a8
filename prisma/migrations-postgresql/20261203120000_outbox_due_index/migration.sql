-- The outbox's claim reads due OUT conversations in (nextAttemptAt, messageId) order. With an index on
-- nextAttemptAt alone SQLite chose the primary key's (direction = 'OUT') and sorted every outgoing
-- conversation on each claim, a cost that grew with the table.
DROP INDEX "Conversation_nextAttemptAt_idx";

-- CreateIndex
CREATE INDEX "Conversation_direction_nextAttemptAt_messageId_idx" ON "Conversation"("direction", "nextAttemptAt", "messageId");
