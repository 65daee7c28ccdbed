"""DDL of the patient store (PostgreSQL / Aurora PostgreSQL) and of the producer's ledger (SQLite).

The store keeps ``payload_digest`` computed at write time (``drills.pipeline.events.event_digest``) so
integrity checks sum integers per key range instead of hashing rows at query time.
"""

STORE_DDL = """
CREATE TABLE IF NOT EXISTS vitals_events (
    event_key      bigint PRIMARY KEY,            -- device_index << 32 | seq
    device_id      text        NOT NULL,
    seq            bigint      NOT NULL,
    patient_ref    text        NOT NULL,
    ts             timestamptz NOT NULL,
    heart_rate     smallint    NOT NULL,
    spo2           smallint    NOT NULL,
    systolic       smallint    NOT NULL,
    diastolic      smallint    NOT NULL,
    resp_rate      smallint    NOT NULL,
    temp_c         numeric(4,1) NOT NULL,
    payload_digest bigint      NOT NULL,
    ingested_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
    UNIQUE (device_id, seq)
);
CREATE TABLE IF NOT EXISTS stream_checkpoints (
    stream_name     text NOT NULL,                -- the stream's ARN: names repeat across regions
    -- and this table replicates, so the region in the ARN keeps each processor on its own positions
    shard_id        text NOT NULL,
    sequence_number text NOT NULL,
    updated_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (stream_name, shard_id)
);
CREATE TABLE IF NOT EXISTS shard_leases (     -- which processor reads which shard (beside the checkpoints)
    stream_name     text NOT NULL,                -- the stream's ARN, as in stream_checkpoints
    shard_id        text NOT NULL,
    owner           text,                         -- NULL: released, free to take
    acquired_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
    expires_at      timestamptz NOT NULL,         -- renewed by every heartbeat; after it, anyone may take it
    PRIMARY KEY (stream_name, shard_id)
);
CREATE TABLE IF NOT EXISTS stream_consumers ( -- live processors of a stream: the fair share's divisor
    stream_name     text NOT NULL,
    worker_id       text NOT NULL,
    expires_at      timestamptz NOT NULL,
    PRIMARY KEY (stream_name, worker_id)
);
"""

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
