"""The patient store's schema (PostgreSQL / Aurora PostgreSQL): table and column names, and its DDL.

The processor writes it, the drills and the integrity diff read it, the Great Expectations suites
validate it. ``payload_digest`` is computed at write time (``contracts.events.event_digest``) so
integrity checks sum integers per key range instead of hashing rows at query time.
"""

from __future__ import annotations

TABLE = "vitals_events"
CHECKPOINT_TABLE = "stream_checkpoints"

EVENT_KEY = "event_key"
DEVICE_ID = "device_id"
SEQ = "seq"
PATIENT_REF = "patient_ref"
TS = "ts"
PAYLOAD_DIGEST = "payload_digest"
INGESTED_AT = "ingested_at"
VITALS = ("heart_rate", "spo2", "systolic", "diastolic", "resp_rate", "temp_c")
#: Every column of ``TABLE`` in order (``INGESTED_AT`` is set by the store).
COLUMNS = (EVENT_KEY, DEVICE_ID, SEQ, PATIENT_REF, TS, *VITALS, PAYLOAD_DIGEST, INGESTED_AT)

STORE_DDL = f"""
CREATE TABLE IF NOT EXISTS {TABLE} (
    {EVENT_KEY}      bigint PRIMARY KEY,            -- device_index << 32 | seq
    {DEVICE_ID}      text        NOT NULL,
    {SEQ}            bigint      NOT NULL,
    {PATIENT_REF}    text        NOT NULL,
    {TS}             timestamptz NOT NULL,
    heart_rate     smallint    NOT NULL,
    spo2           smallint    NOT NULL,
    systolic       smallint    NOT NULL,
    diastolic      smallint    NOT NULL,
    resp_rate      smallint    NOT NULL,
    temp_c         numeric(4,1) NOT NULL,
    {PAYLOAD_DIGEST} bigint      NOT NULL,
    {INGESTED_AT}    timestamptz NOT NULL DEFAULT clock_timestamp(),
    UNIQUE ({DEVICE_ID}, {SEQ})
);
CREATE TABLE IF NOT EXISTS {CHECKPOINT_TABLE} (
    stream_name     text NOT NULL,                -- the stream's ARN: names repeat across regions
    -- and this table replicates, so the region in the ARN keeps each processor on its own positions
    shard_id        text NOT NULL,
    sequence_number text NOT NULL,
    updated_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (stream_name, shard_id)
);
"""
