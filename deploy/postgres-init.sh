#!/bin/sh
# Signalroom's own database (OAuth installations), beside Temporal's. The
# postgres image runs this on its first start (an empty volume), as the
# superuser, with SIGNALROOM_DB_PASSWORD from .env (docker-compose.yml): no
# password is written in the repository. psql quotes it (:'password').
set -eu
psql -v ON_ERROR_STOP=1 -v password="$SIGNALROOM_DB_PASSWORD" --username "$POSTGRES_USER" --dbname postgres <<'SQL'
CREATE USER signalroom WITH PASSWORD :'password';
CREATE DATABASE signalroom OWNER signalroom;
SQL
