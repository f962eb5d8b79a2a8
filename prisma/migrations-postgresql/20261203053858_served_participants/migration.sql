-- CreateTable
CREATE TABLE "ServedParticipant" (
    "participant" TEXT NOT NULL,
    "role" TEXT NOT NULL,
    "state" TEXT NOT NULL,
    "smpManaged" BOOLEAN NOT NULL,
    "lastError" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "ServedParticipant_pkey" PRIMARY KEY ("participant","role")
);
