FROM python:3.11-slim-bookworm

# WeasyPrint needs Pango; gettext is not needed (translations compile with polib).
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*

ENV PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1
WORKDIR /app
COPY . .
RUN pip install --no-cache-dir . \
    && DEBUG=0 SECRET_KEY=build-only ALLOWED_HOSTS=localhost python manage.py collectstatic --no-input \
    && python manage.py compile_translations

RUN useradd --create-home salesmkt && mkdir -p /app/media && chown salesmkt /app/media
USER salesmkt
EXPOSE 8000
CMD ["gunicorn", "salesmkt.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3"]
