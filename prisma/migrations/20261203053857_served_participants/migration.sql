-- CreateTable
CREATE TABLE "ServedParticipant" (
    "participant" TEXT NOT NULL,
    "role" TEXT NOT NULL,
    "state" TEXT NOT NULL,
    "smpManaged" BOOLEAN NOT NULL,
    "lastError" TEXT,
    "createdAt" DATETIME NOT NULL,
    "updatedAt" DATETIME NOT NULL,

    PRIMARY KEY ("participant", "role")
);
