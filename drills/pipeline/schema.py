"""DDL of the producer's ledger (SQLite); the store's is ``contracts.store.STORE_DDL``."""

LEDGER_DDL = """
CREATE TABLE IF NOT EXISTS ledger (
    event_key  INTEGER PRIMARY KEY,   -- same key as the store
    device_id  TEXT    NOT NULL,
    seq        INTEGER NOT NULL,
    digest     INTEGER NOT NULL,      -- event_digest(), signed 64-bit
    region     TEXT    NOT NULL,      -- region whose ingest API was called
    t_sent     REAL    NOT NULL,      -- epoch seconds
    t_ack      REAL                   -- NULL: sent, never acknowledged (in doubt)
);
"""
