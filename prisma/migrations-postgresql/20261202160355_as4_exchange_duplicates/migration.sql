-- AlterTable
ALTER TABLE "As4Exchange" ADD COLUMN     "claimedUntil" TIMESTAMP(3),
ADD COLUMN     "contentDigest" TEXT;
