"""The suites' names, importable without Great Expectations (Dagster declares a check per suite)."""

SCHEMA_SUITE = "vitals_store_schema"
VALIDITY_SUITE = "vitals_store_validity"
LEDGER_SUITE = "vitals_store_vs_ledger"

SUITE_NAMES = (SCHEMA_SUITE, VALIDITY_SUITE, LEDGER_SUITE)
