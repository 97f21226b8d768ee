# CPU-only image of the bot. Build: docker build -t diplobot .
# Run:   docker compose up   (bot + Chroma server; `--profile ollama` adds a model server)
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    ANONYMIZED_TELEMETRY=False \
    DIPLOBOT_KNOWLEDGE_DIR=/data/knowledge \
    DIPLOBOT_CHROMA_PATH=/data/index

WORKDIR /app

# torch from the CPU wheel index first: from PyPI it would pull a multi-GB CUDA build.
RUN pip install --no-cache-dir --index-url https://download.pytorch.org/whl/cpu torch==2.13.0

COPY pyproject.toml README.md ./
COPY bot ./bot
COPY knowledge ./knowledge
RUN pip install --no-cache-dir .

# The seed articles are the initial knowledge; the volume keeps what admins add later.
COPY seeds /data/knowledge
RUN useradd --create-home --uid 10001 diplobot \
    && mkdir -p /data/index \
    && chown -R diplobot:diplobot /data
USER 10001
VOLUME ["/data/knowledge", "/data/index"]

# Webhook mode listens here (DIPLOBOT_WEBHOOK_URL set); long polling needs no port.
EXPOSE 8443
# No model is loaded: reads the index pointer (and asks the Chroma server when one is set).
HEALTHCHECK --interval=30s --timeout=20s --start-period=120s --retries=3 \
    CMD ["diplobot", "health"]

ENTRYPOINT ["diplobot"]
CMD ["run"]
