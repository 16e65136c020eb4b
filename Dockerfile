FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY schemas ./schemas
COPY sinks ./sinks
COPY streams ./streams
RUN pip install --no-cache-dir . && useradd --create-home handoff
USER handoff
ENV HANDOFF_STATE_DIR=/home/handoff/state
ENTRYPOINT ["handoff"]
CMD ["--help"]
