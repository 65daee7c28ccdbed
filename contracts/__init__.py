"""Names and shapes shared by every package (cdk_app, drills, compliance, the edges).

This package imports nothing of the project: a fact that two packages must agree on (an output key, the
store's table, a secret's JSON keys, the ingest response, the evidence layout) is spelled here once.
"""
