-- Data only, no schema change (and no semicolons in comments: Prisma's engine splits scripts on them).
-- Message ids are UUIDs and are now keyed in lower case by src/store/message-id.ts, which folds ASCII only,
-- as lower() does here for the ASCII a UUID holds. Ids stored before are lower-cased so they are found too.
--
-- Two rows whose ids differ only in case (the duplicate the normal form now refuses let them in) cannot both
-- take the lower-case key: such twins keep their spelling, reachable as before by the outbox, not by id.

UPDATE "Message" SET "id" = lower("id")
WHERE "id" <> lower("id")
  AND NOT EXISTS (
    SELECT 1 FROM "Message" AS "twin"
    WHERE "twin"."direction" = "Message"."direction" AND lower("twin"."id") = lower("Message"."id") AND "twin"."id" <> "Message"."id"
  );

-- The status history follows through ON UPDATE CASCADE, or here where foreign keys were not enforced.
UPDATE "MessageStatus" SET "messageId" = lower("messageId")
WHERE "messageId" <> lower("messageId")
  AND NOT EXISTS (SELECT 1 FROM "Message" WHERE "Message"."direction" = "MessageStatus"."messageDirection" AND "Message"."id" = "MessageStatus"."messageId")
  AND EXISTS (SELECT 1 FROM "Message" WHERE "Message"."direction" = "MessageStatus"."messageDirection" AND "Message"."id" = lower("MessageStatus"."messageId"));

-- Receipt evidence of messages we sent names them by the message's key (the outbox writes it from the row).
-- Evidence of messages we received keeps the id as the sender wrote it.
UPDATE "As4Exchange" SET "messageId" = lower("messageId")
WHERE "direction" = 'OUT' AND "messageId" <> lower("messageId")
  AND NOT EXISTS (SELECT 1 FROM "Message" WHERE "Message"."direction" = 'OUT' AND "Message"."id" = "As4Exchange"."messageId")
  AND EXISTS (SELECT 1 FROM "Message" WHERE "Message"."direction" = 'OUT' AND "Message"."id" = lower("As4Exchange"."messageId"));
