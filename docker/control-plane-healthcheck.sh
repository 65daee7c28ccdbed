#!/bin/sh
# Health of the role this container runs (HTDR_ROLE, set by the task definition): the webserver
# answers /server_info on its loopback port; the daemon's heartbeat in the run storage is recent; a
# drill run is healthy while its process runs (ECS stops the task when it exits).
set -eu
case "${HTDR_ROLE:-run}" in
    webserver)
        exec python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:3000/server_info', timeout=5)"
        ;;
    daemon)
        exec dagster-daemon liveness-check
        ;;
    *)
        exit 0
        ;;
esac
