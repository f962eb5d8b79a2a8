-- CreateTable
CREATE TABLE "ConsoleAction" (
    "id" SERIAL NOT NULL,
    "direction" TEXT NOT NULL,
    "messageId" TEXT NOT NULL,
    "action" TEXT NOT NULL,
    "user" TEXT NOT NULL,
    "note" TEXT,
    "status" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "ConsoleAction_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "ConsoleAction_direction_messageId_idx" ON "ConsoleAction"("direction", "messageId");

-- CreateIndex
CREATE INDEX "ConsoleAction_createdAt_idx" ON "ConsoleAction"("createdAt");
