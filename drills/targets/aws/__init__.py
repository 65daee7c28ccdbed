"""The ``aws`` target: drills against the stacks the CDK app deployed (DESIGN §4).

Every resource is found from ``cfn-outputs/flat-outputs.json`` (``outputs``); before anything runs the
deployment passes ``safety`` (suffix allowlist, ``DrillAllowed=true`` on every stack, never a
production stack, ``--confirm <suffix>`` for destructive scenarios). A scenario on AWS is a ``plan``
of ``actions``, each a list of AWS calls with its rollback; ``dry_run`` prints the plan, ``executor``
runs it, writing each rollback to the ``rollback_state`` file before the action starts, so
``htdr drill recover --target aws`` can undo a drill that was killed mid-fault.
"""
