-- AlterTable
ALTER TABLE "As4Exchange" ADD COLUMN "revocation" TEXT;

-- AlterTable
ALTER TABLE "DpiMessage" ADD COLUMN "revocation" TEXT;

-- CreateTable
CREATE TABLE "RevocationAnswer" (
    "sha256" TEXT NOT NULL PRIMARY KEY,
    "kind" TEXT NOT NULL,
    "der" BLOB NOT NULL,
    "url" TEXT NOT NULL,
    "fetchedAt" DATETIME NOT NULL,
    "thisUpdate" DATETIME NOT NULL,
    "nextUpdate" DATETIME,
    "issuerCertificate" BLOB NOT NULL,
    "issuerName" TEXT NOT NULL,
    "serial" TEXT,
    "crlNumber" TEXT
);
