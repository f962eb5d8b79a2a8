-- CreateTable
CREATE TABLE "ConsoleAction" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "direction" TEXT NOT NULL,
    "messageId" TEXT NOT NULL,
    "action" TEXT NOT NULL,
    "user" TEXT NOT NULL,
    "note" TEXT,
    "status" TEXT,
    "createdAt" DATETIME NOT NULL
);

-- CreateIndex
CREATE INDEX "ConsoleAction_direction_messageId_idx" ON "ConsoleAction"("direction", "messageId");

-- CreateIndex
CREATE INDEX "ConsoleAction_createdAt_idx" ON "ConsoleAction"("createdAt");
