-- Store-wide values (assignment history compaction mark for agents' Watch).
CREATE TABLE "store_meta" (
    "key" TEXT NOT NULL,
    "value" BIGINT NOT NULL,

    CONSTRAINT "store_meta_pkey" PRIMARY KEY ("key")
);
