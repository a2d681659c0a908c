# The production image: one image for web, worker and beat (docker-compose.yml picks the command).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
RUN apt-get update \
 && apt-get install -y --no-install-recommends gettext \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .
# Static files and translations are built into the image; the build needs no database or secret.
RUN DEBUG=true python manage.py compilemessages --ignore=.venv \
 && DEBUG=false SECRET_KEY=build-only-not-secret python manage.py collectstatic --noinput

# /var/lib/celerybeat: beat's schedule file, on a volume in docker-compose.yml. Created here, owned by the
# app's user, so that the volume starts out writable by it.
RUN useradd --create-home bankops && chown -R bankops /app \
 && mkdir -p /var/lib/celerybeat /var/lib/bankops/evidence && chown bankops /var/lib/celerybeat /var/lib/bankops/evidence
USER bankops
EXPOSE 8000
CMD ["gunicorn", "bankops.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
