"""The local sandbox: two emulated regions on loopback (DESIGN §4 ``local``).

Components (ports = ``port_base`` + offset, default base 15400; ``settings.Ports``):

====  ===================  =====================================================================
 +0   pg-<primary>         PostgreSQL primary (pgserver's binaries; as root runs as ``nobody``)
 +1   pg-<dr>              physical streaming standby, fed THROUGH the DB link
 +2   link-db              latency proxy standby -> primary (cut/restore/latency at run time)
 +3   valkey-<primary>     sessions cache primary (AUTH token)
 +4   valkey-<dr>          replica (``replicaof`` through the cache link)
 +5   link-cache           latency proxy replica -> primary
 +6   moto-<primary>       AWS API endpoint (KMS, Kinesis, Secrets Manager, S3, CloudWatch)
 +7   moto-<dr>            the same for the DR region
 +8   api-<primary>        ingest API (``drills.pipeline.ingest_api``) -> the region's stream
 +9   api-<dr>             the same for the DR region
  -   processor-<region>   ``drills.pipeline.processor`` (the DR one idles until promotion)
====  ===================  =====================================================================

State dir (default ``.sandbox/``): ``state.json`` (settings, topology, every action),
``credentials.json`` (0600), ``run/*.pid`` and link state files, ``config/*.json`` (pipeline process
configs), ``pg/``, ``valkey/``, ``logs/`` (kept by ``down``). ``up`` also writes
``cfn-outputs/flat-outputs.json`` with the outputs-contract keys.

Python API: ``Sandbox(SandboxSettings(...))`` with ``up``/``down``/``status``/``reset`` and the fault
primitives (``kill_region``, ``kill``, ``cut_link``/``restore_link``, ``set_link_latency``,
``promote_standby``, ``promote_cache``, ``kill_processor``/``start_processor``), probes
``replication_lag`` and ``writer_region``; ``Sandbox.attach(state_dir)`` for a running one.
CLI: ``htdr sandbox up|down [--force]|status|recover|cut|restore|latency``.
"""
