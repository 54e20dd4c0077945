# Policy Portal: one image for the web server, the Celery worker and Celery beat
# (docker-compose.yml picks the command). Configuration comes from the environment at run
# time; see .env.example.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# The Pillow, pillow-heif, opencv-python-headless and psycopg[binary] wheels bundle their
# codec, image and libpq libraries. Outside the wheel they link only against glibc,
# libstdc++, libgcc and zlib (checked with ldd); the base image has these already, and
# naming them here keeps that dependency explicit. No libGL: the headless OpenCV build
# does not use it.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libstdc++6 libgcc-s1 zlib1g \
    && rm -rf /var/lib/apt/lists/*

# A fixed uid/gid so files in the media volume keep their owner across rebuilds.
RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --create-home --home-dir /home/app \
       --shell /usr/sbin/nologin app

WORKDIR /app

COPY requirements.txt .
# The import check fails the build, rather than the first photo upload, if a wheel needs a
# system library the image lacks (for example a non-headless OpenCV pulled in by another
# package, which needs libGL).
RUN pip install --no-cache-dir -r requirements.txt \
    && python -c "import psycopg, celery, django, PIL.Image, pillow_heif, cv2"

# The code stays root-owned, so the app cannot rewrite it. var/ (collected static files)
# and media/ (uploads, the named volume mounts here and takes this owner) belong to the app.
COPY . .
RUN mkdir -p /app/var /app/media && chown app:app /app/var /app/media

USER app

# With DEBUG off, settings refuse to load without SECRET_KEY and FIELD_ENCRYPTION_KEY.
# These are public dummies set for this one step only (not ENV, so no container sees them);
# the running containers get their real keys from the environment. The Fernet key is the
# base64 of the 32 bytes "collectstatic-build-only-dummy!!".
RUN SECRET_KEY=collectstatic-build-only-not-a-secret \
    FIELD_ENCRYPTION_KEY=Y29sbGVjdHN0YXRpYy1idWlsZC1vbmx5LWR1bW15ISE= \
    python manage.py collectstatic --noinput

EXPOSE 8000

CMD ["gunicorn", "policy_portal.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
