#!/bin/sh
# Entrypoint of the control-plane image. The root filesystem is read-only; /tmp is the task's scratch
# volume. Puts the instance configuration into DAGSTER_HOME and, for drill runs
# (HTDR_WRITE_OUTPUTS=1), writes cfn-outputs/flat-outputs.json from the deployed stacks, then runs
# the given command (the webserver, the daemon, or EcsRunLauncher's "dagster api execute_run").
set -eu
mkdir -p "$DAGSTER_HOME"
cp /opt/dagster/dagster.yaml "$DAGSTER_HOME/dagster.yaml"
if [ "${HTDR_WRITE_OUTPUTS:-0}" = "1" ]; then
    python -m cdk_app.flat_outputs --suffix "$HTDR_ENVIRONMENT_SUFFIX" \
        --primary-region "$HTDR_PRIMARY_REGION" --dr-region "$HTDR_DR_REGION" --out "$HTDR_OUTPUTS_FILE"
fi
exec "$@"
