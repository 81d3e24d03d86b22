# syntax=docker/dockerfile:1
#
# monitor: news-monitoring daemon.
#   docker build -t monitor .
#   docker run -d --stop-timeout 45 -e SLACK_BOT_TOKEN -v monitor-data:/data monitor
# Override the config by mounting your own file over /etc/monitor/monitor.yaml
# (and your rules over /etc/monitor/rules); see deploy/README.md.

# ---- build: install the package and its dependencies into a virtualenv ----
FROM python:3.12-slim AS build

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN python -m venv /opt/monitor
ENV PATH=/opt/monitor/bin:$PATH

WORKDIR /src
# Only what the wheel needs: rules/ is force-included as monitor/shipped_rules.
COPY pyproject.toml README.md ./
COPY monitor/ monitor/
COPY rules/ rules/
# trafilatura fails at import on lxml >= 5.2 unless lxml_html_clean is installed; it is a
# declared dependency in pyproject.toml, so `pip install .` brings it in.
RUN pip install . \
 && python -c "import trafilatura, lxml_html_clean"

# ---- runtime ----
FROM python:3.12-slim

ENV PATH=/opt/monitor/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    MONITOR_CONFIG=/etc/monitor/monitor.yaml

# Fixed UID/GID so that volume and bind-mount ownership is predictable.
RUN groupadd --system --gid 10001 monitor \
 && useradd --system --uid 10001 --gid monitor --no-create-home \
        --home-dir /nonexistent --shell /usr/sbin/nologin monitor \
 && mkdir /data \
 && chown monitor:monitor /data

COPY --from=build /opt/monitor /opt/monitor
COPY rules/ /etc/monitor/rules/
# The example config: database /data/monitor.db, rules /etc/monitor/rules.
COPY deploy/monitor.yaml /etc/monitor/monitor.yaml

USER monitor
WORKDIR /data
# Holds the SQLite database (with its -wal/-shm files): keep it on a named volume.
VOLUME ["/data"]

# /healthz answers 200 while every stage loop turns and the database takes writes, 503 with
# the reason otherwise (the example config serves it on 127.0.0.1:9108, inside the container).
HEALTHCHECK --interval=1m --timeout=10s --start-period=1m --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:9108/healthz', timeout=8)"]

# The daemon stops on SIGTERM within 10 s (in-flight work gets a few seconds, the rest
# is released for a later run): `docker stop`'s default 10 s is enough, 45 s is generous.
ENTRYPOINT ["monitor"]
CMD ["run"]
