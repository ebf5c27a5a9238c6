# The service image: the webhook api and the Celery grading workers (see docker-compose.yml).
#
#   docker build -t sql-lab-grader .
#
# The grading clusters are separate containers (citusdata/citus:12.1, see citus/ and
# docs/docker.md); this image holds no database server.
FROM python:3.11-slim-bookworm

# git: the workers clone students' repositories and read their history.
RUN apt-get update \
    && apt-get install -y --no-install-recommends git \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml README.md ./
COPY grader grader
COPY workers workers
COPY rubrics rubrics
# Editable: the lab bundles (rubrics/) and the store's SQL migrations are read from /app.
RUN pip install --no-cache-dir -e .

RUN useradd --system --create-home --home-dir /home/grader grader
USER grader
ENV PYTHONUNBUFFERED=1

EXPOSE 8000
CMD ["uvicorn", "--factory", "grader.app:create_app", "--host", "0.0.0.0", "--port", "8000"]
