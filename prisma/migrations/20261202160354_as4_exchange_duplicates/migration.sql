-- AlterTable
ALTER TABLE "As4Exchange" ADD COLUMN "claimedUntil" DATETIME;
ALTER TABLE "As4Exchange" ADD COLUMN "contentDigest" TEXT;
