-- The catalog as DocRag created it before migrations existed (CREATE TABLE IF NOT EXISTS at open).
-- Catalogs created that way have these tables but no history table; they are baselined at version 1.
-- Never edit this file: Flyway checksums it, and catalogs in the field were created from it.
CREATE TABLE docrag_meta (
  meta_key   VARCHAR(100) PRIMARY KEY,
  meta_value VARCHAR(2000) NOT NULL
);
CREATE TABLE documents (
  tenant       VARCHAR(256) NOT NULL,
  id           VARCHAR(2048) NOT NULL,
  source       VARCHAR(1000000) NOT NULL,
  title        VARCHAR(1000000) NOT NULL,
  content_hash CHAR(64) NOT NULL,
  chunk_count  INT NOT NULL,
  updated_at   TIMESTAMP NOT NULL,
  PRIMARY KEY (tenant, id)
);
CREATE TABLE metadata_fields (
  name       VARCHAR(128) PRIMARY KEY,
  field_type VARCHAR(32) NOT NULL
);
