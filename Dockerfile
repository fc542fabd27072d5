# The images of the three programs, from one file and the repository root:
#
#   docker build --target numbers-api -t numbers-demo/numbers-api:0.1.0 .    (web, probe alike)
#
# Each program and the runtime they share (runtime/) are installed as packages into the
# program's own virtualenv; scripts/build-images.sh and docker-compose.yml build all three.
# PYTHON_IMAGE lets a machine without registry access build FROM a local base
# (scripts/base-image.sh); both the official slim image and Debian 12's Python work.
# checkov:skip=CKV_DOCKER_7: the base is a build arg, and every value it gets is a version tag
# (python:3.12-slim by default, numbers-demo/python-base:bookworm from scripts/base-image.sh);
# checkov cannot see a tag through ${PYTHON_IMAGE}, so it reports FROM as untagged.
ARG PYTHON_IMAGE=python:3.12-slim

FROM ${PYTHON_IMAGE} AS builder
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONDONTWRITEBYTECODE=1
SHELL ["/bin/sh", "-e", "-c"]
# The pins first, so a change to the code alone reuses this layer.
COPY requirements-build.txt /src/
COPY services/numbers-api/requirements.txt /src/numbers-api/
COPY services/web/requirements.txt /src/web/
COPY probe/requirements.txt /src/probe/
RUN for program in numbers-api web probe; do \
      python3 -m venv "/opt/$program"; \
      "/opt/$program/bin/pip" install --require-hashes \
        -r "/src/$program/requirements.txt" -r /src/requirements-build.txt; \
    done
COPY runtime /src/runtime
COPY services/numbers-api /src/numbers-api
COPY services/web /src/web
COPY probe /src/probe
# The packages on top of their pins; then pip and the build backend go, so the final stages
# cannot install anything.
RUN for program in numbers-api web probe; do \
      "/opt/$program/bin/pip" install --no-deps --no-build-isolation /src/runtime "/src/$program"; \
      "/opt/$program/bin/pip" uninstall --yes flit-core pip; \
      find "/opt/$program" -name '__pycache__' -prune -exec rm -rf {} +; \
    done \
 && mkdir -p /out/var/lib/probe

# What every program's image has: its virtualenv on PATH, no root, no bytecode written, and
# a health check on its port (8080 unless the program says otherwise).
FROM ${PYTHON_IMAGE} AS program
ARG VERSION=0.1.0
ARG SOURCE=numbers-demo
# Each program's stage gives its own title and description.
LABEL org.opencontainers.image.title="numbers-demo" \
      org.opencontainers.image.description="A program of numbers-demo, for the Services chapter of Learn Kubernetes in a Month of Lunches" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.version="${VERSION}"
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PORT=8080
WORKDIR /app
USER 10001:10001
EXPOSE 8080
HEALTHCHECK --interval=5s --timeout=3s --start-period=10s --retries=3 \
  CMD ["python3", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ['PORT'], timeout=2)"]

FROM program AS numbers-api
LABEL org.opencontainers.image.title="numbers-demo/numbers-api" \
      org.opencontainers.image.description="Random-number API for the Services chapter of Learn Kubernetes in a Month of Lunches"
COPY --from=builder /opt/numbers-api /opt/venv
CMD ["python3", "-m", "numbers_api"]

FROM program AS web
LABEL org.opencontainers.image.title="numbers-demo/web" \
      org.opencontainers.image.description="Web page calling numbers-api by name, for the Services chapter of Learn Kubernetes in a Month of Lunches"
COPY --from=builder /opt/web /opt/venv
CMD ["python3", "-m", "numbers_web"]

FROM program AS probe
LABEL org.opencontainers.image.title="numbers-demo/probe" \
      org.opencontainers.image.description="DNS probe sidecar for the Services chapter of Learn Kubernetes in a Month of Lunches"
COPY --from=builder /opt/probe /opt/venv
# The event log's directory belongs to the probe's user, so a fresh named volume or emptyDir
# mounted there inherits that owner.
COPY --from=builder --chown=10001:10001 /out/var/lib/probe /var/lib/probe
ENV PORT=9090
EXPOSE 9090
VOLUME ["/var/lib/probe"]
CMD ["python3", "-m", "dns_probe"]
