#!/bin/sh
# Entrypoint of the control-plane image. The root filesystem is read-only; /tmp is the task's scratch
# volume. Puts the instance configuration into DAGSTER_HOME. For drill-run tasks
# (HTDR_WRITE_OUTPUTS=1) it writes the outputs file from the deployed stacks first, runs the given
# command (EcsRunLauncher's "dagster api execute_run", or the pipeline's "htdr drill run"), then
# uploads the run's evidence to the evidence bucket whatever the outcome (under HTDR_EVIDENCE_PREFIX
# when the pipeline sets it), and exits with the run's status. Otherwise it execs the given
# command (the webserver or the daemon).
set -eu
mkdir -p "$DAGSTER_HOME"
cp "${DAGSTER_INSTANCE_YAML:-/opt/dagster/dagster.yaml}" "$DAGSTER_HOME/dagster.yaml"
if [ "${HTDR_WRITE_OUTPUTS:-0}" != "1" ]; then
    exec "$@"
fi
python -m cdk_app.flat_outputs --suffix "$HTDR_ENVIRONMENT_SUFFIX" \
    --primary-region "$HTDR_PRIMARY_REGION" --dr-region "$HTDR_DR_REGION" --out "$HTDR_OUTPUTS_FILE"
"$@" &
child=$!
trap 'kill -TERM "$child" 2>/dev/null' TERM INT
status=0
wait "$child" || status=$?
while kill -0 "$child" 2>/dev/null; do  # a signal interrupts wait: let the run finish shutting down
    wait "$child" || status=$?
done
trap - TERM INT
upload=0
python -m htdr.evidence_upload --outputs "$HTDR_OUTPUTS_FILE" --reports-dir "$HTDR_REPORTS_DIR" \
    --prefix "${HTDR_EVIDENCE_PREFIX:-control-plane/$(date -u +%Y%m%dT%H%M%SZ)-$(hostname)}" || upload=$?
if [ "$status" -eq 0 ] && [ "$upload" -ne 0 ]; then
    status=$upload
fi
exit "$status"
