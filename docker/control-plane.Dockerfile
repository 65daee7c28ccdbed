# The drill control plane image: Dagster webserver, daemon and per-run tasks (EcsRunLauncher).
# Built by the CDK app (DockerImageAsset, cdk_app/constructs/dagster_service.py) from the repository
# root with only pyproject.toml, uv.lock and the project packages in the build context.

# --- build: resolve the locked dependencies into a virtual environment --------------------------
FROM python:3.11-slim-bookworm@sha256:b18992999dbe963a45a8a4da40ac2b1975be1a776d939d098c647482bcad5cba AS build
ENV UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy UV_PYTHON_DOWNLOADS=never PIP_NO_CACHE_DIR=1
RUN pip install --no-cache-dir "uv==0.13.8"
WORKDIR /opt/dagster/app
COPY pyproject.toml uv.lock ./
RUN uv sync --frozen --no-dev --no-install-project
COPY contracts ./contracts
COPY cdk_app ./cdk_app
COPY drills ./drills
COPY compliance ./compliance
COPY htdr ./htdr
RUN uv sync --frozen --no-dev --no-editable

# --- runtime: the environment, the instance config and the workspace; runs as a non-root user -----
FROM python:3.11-slim-bookworm@sha256:b18992999dbe963a45a8a4da40ac2b1975be1a776d939d098c647482bcad5cba
ENV PATH=/opt/dagster/app/.venv/bin:$PATH PYTHONUNBUFFERED=1 DAGSTER_HOME=/tmp/dagster_home HOME=/tmp
RUN groupadd --system --gid 10001 dagster \
    && useradd --system --uid 10001 --gid dagster --home-dir /opt/dagster --shell /usr/sbin/nologin dagster
WORKDIR /opt/dagster/app
COPY --from=build --chown=root:root /opt/dagster/app/.venv ./.venv
COPY workspace.yaml ./
COPY dagster_home/dagster.aws.yaml /opt/dagster/dagster.yaml
COPY docker/control-plane-entrypoint.sh /usr/local/bin/control-plane-entrypoint
COPY docker/control-plane-healthcheck.sh /usr/local/bin/control-plane-healthcheck
USER 10001:10001
HEALTHCHECK --interval=30s --timeout=10s --start-period=90s --retries=3 CMD ["/usr/local/bin/control-plane-healthcheck"]
ENTRYPOINT ["/usr/local/bin/control-plane-entrypoint"]
CMD ["dagster-daemon", "run", "--workspace", "workspace.yaml"]
