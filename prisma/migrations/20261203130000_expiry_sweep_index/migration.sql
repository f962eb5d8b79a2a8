-- The expiry sweep reads unfinished OUT letters whose expiry passed, soonest expired first, on every sweep.
-- Without an index on expiry SQLite read every outgoing conversation (direction = 'OUT' off the outbox's index)
-- and sorted them, a cost that grew with the table.

-- CreateIndex
CREATE INDEX "Conversation_direction_finished_expiry_idx" ON "Conversation"("direction", "finished", "expiry");
