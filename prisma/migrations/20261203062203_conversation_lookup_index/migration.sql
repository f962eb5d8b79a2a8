-- DropIndex
DROP INDEX "Conversation_conversationId_idx";

-- CreateIndex
CREATE INDEX "Conversation_conversationId_direction_channel_idx" ON "Conversation"("conversationId", "direction", "channel");
