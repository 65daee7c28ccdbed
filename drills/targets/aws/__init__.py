"""The ``aws`` target: drills against the stacks the CDK app deployed (DESIGN §4).

Every resource is found from ``cfn-outputs/flat-outputs.json`` (``outputs``). ``session`` checks
``safety`` (suffix allowlist, ``DrillAllowed=true`` on every stack, never a production stack,
``--confirm <suffix>`` for destructive scenarios), then runs the scenario with the project's runner
on ``target.AwsTarget``, which implements the target roles: each role call is the ``role_actions`` of
the ``catalog`` (AWS calls with their rollback), run by the ``executor``, which writes each rollback to
the ``rollback_state`` file before the action starts, so ``htdr drill recover --target aws`` can undo
a drill that was killed mid-fault. ``plans`` lists a scenario's role calls and ``dry_run`` prints them.
"""
