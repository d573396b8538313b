# Production image: no embedded database; DATABASE_URL must point at PostgreSQL, and
# DIMQA_SECRET_KEY hold the server key (tokens, sealed webhook secrets) kept outside the container.
#
# Two stages, so that production runs the compiled hot modules (about twice the ingestion speed)
# without shipping a compiler: the builder compiles them with mypyc and builds the wheels; the
# runtime installs those wheels on the slim image.

# The full image has gcc and the Python headers mypyc needs.
FROM python:3.11 AS builder

ENV PYTHONDONTWRITEBYTECODE=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src

COPY pyproject.toml README.md constraints.txt ./
COPY app ./app
COPY tools ./tools
# The dependencies and mypy (the `native` extra): mypyc type-checks with the project's mypy
# configuration, whose pydantic plugin imports pydantic. --require: no compiler fails the build
# instead of shipping an interpreted image. The dimqa wheel carries the extensions and their
# manifest (package-data in pyproject.toml); the others are the dependencies' wheels.
RUN pip install -c constraints.txt '.[native]' \
    && python -m tools.build_native build --require \
    && pip wheel -c constraints.txt --wheel-dir /wheels .

FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /srv/dimqa

# alembic.ini and migrations/ stay in the working directory, where `dimqa serve` finds them.
COPY alembic.ini ./
COPY migrations ./migrations
COPY --from=builder /wheels /tmp/wheels
RUN pip install --no-index --find-links /tmp/wheels dimqa && rm -rf /tmp/wheels \
    && python -c "from app.core import compiled; s = compiled.status(); assert s.complete, s" \
    && useradd --system --uid 10001 --home-dir /srv/dimqa dimqa \
    && mkdir -p /srv/dimqa/var && chown dimqa /srv/dimqa/var

USER dimqa
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s CMD python -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:8000/healthz')" || exit 1
# DIMQA_SECRET_KEY too: generated into this container's var/ it would die with the container, and
# the next one (an upgrade) would answer 401 to every token stored in the database.
CMD ["sh", "-c", "test -n \"$DATABASE_URL\" || { echo 'DATABASE_URL is required' >&2; exit 1; }; test -n \"$DIMQA_SECRET_KEY\" || { echo \"DIMQA_SECRET_KEY is required: the key of the token hashes must outlive the container (generate one once: python -c 'import secrets; print(secrets.token_hex(32))')\" >&2; exit 1; }; exec dimqa serve --host 0.0.0.0 --port 8000"]
