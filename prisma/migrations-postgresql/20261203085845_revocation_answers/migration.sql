-- AlterTable
ALTER TABLE "As4Exchange" ADD COLUMN     "revocation" TEXT;

-- AlterTable
ALTER TABLE "DpiMessage" ADD COLUMN     "revocation" TEXT;

-- CreateTable
CREATE TABLE "RevocationAnswer" (
    "sha256" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "der" BYTEA NOT NULL,
    "url" TEXT NOT NULL,
    "fetchedAt" TIMESTAMP(3) NOT NULL,
    "thisUpdate" TIMESTAMP(3) NOT NULL,
    "nextUpdate" TIMESTAMP(3),
    "issuerCertificate" BYTEA NOT NULL,
    "issuerName" TEXT NOT NULL,
    "serial" TEXT,
    "crlNumber" TEXT,

    CONSTRAINT "RevocationAnswer_pkey" PRIMARY KEY ("sha256")
);
