-- API tokens carry a role (at most their owner's), so every role can mint its own tokens.
-- Tokens made before this migration keep what they could do: their owner's role.
ALTER TABLE "api_tokens" ADD COLUMN "role" "Role";
UPDATE "api_tokens" AS t SET "role" = u."role" FROM "users" AS u WHERE u."id" = t."user_id";
ALTER TABLE "api_tokens" ALTER COLUMN "role" SET NOT NULL;
