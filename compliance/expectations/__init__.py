"""Great Expectations suites over the patient store (defined in ``suites``, stored in ``suites/``).

``compliance.expectations.suite_runner.run_suites({region: dsn}, ledger_path, out_dir)`` validates every
suite on every region's store, builds Data Docs under ``out_dir/data_docs`` and returns
``contracts.journal.IntegrityResult`` entries. (Not re-exported here: importing Great Expectations
takes seconds, and only the post-drill step needs it.)
"""
