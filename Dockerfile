# The processor container (drills.pipeline.processor), built by the CDK app with
# ContainerImage.from_asset from the repository root; .dockerignore keeps the context to the
# processor's own packages.
#
# Base: python:3.11.15-slim-bookworm pinned by the digest of its multi-architecture index. The digest
# was read from public references (this machine has no registry access, so it is not verified against
# Docker Hub here); refresh tag and digest together with
#   docker buildx imagetools inspect python:3.11.15-slim-bookworm
# Dependencies: drills/pipeline/requirements.txt (hash-locked, wheels only), compiled from
# requirements.in at the versions of uv.lock.

FROM python:3.11.15-slim-bookworm@sha256:d29f48a31a8b408ed19272ca1e7b10ebae13b240a27e862d3d4217c528e2e0c3 AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1
COPY drills/pipeline/requirements.txt /tmp/requirements.txt
RUN python -m venv /opt/venv \
    && /opt/venv/bin/pip install --no-cache-dir --require-hashes --only-binary=:all: -r /tmp/requirements.txt

FROM python:3.11.15-slim-bookworm@sha256:d29f48a31a8b408ed19272ca1e7b10ebae13b240a27e862d3d4217c528e2e0c3 AS runtime
RUN groupadd --system --gid 10001 htdr \
    && useradd --system --uid 10001 --gid htdr --no-create-home --shell /usr/sbin/nologin htdr
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
COPY contracts/ contracts/
COPY drills/__init__.py drills/
COPY drills/pipeline/ drills/pipeline/
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
USER 10001:10001
# No port to probe: ECS replaces the task when the process exits, and the processor's lag alarm
# (MillisBehindLatest) watches whether it keeps up.
HEALTHCHECK NONE
# The ECS task definition sets the same command (contracts.processor_environment.COMMAND).
CMD ["python", "-m", "drills.pipeline.processor"]
