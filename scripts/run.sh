#!/usr/bin/env bash
# `make run`: bring the database up to date, seed the demo data, collect static files, then run
# the web server, the Celery worker and beat, and a local Redis under honcho (see Procfile).
# Ctrl-C stops them all. Settings come from the environment or `.env`; none are needed.
set -euo pipefail

cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH"
mkdir -p var/redis

python manage.py migrate --noinput
python manage.py seed_demo --scale small
python manage.py collectstatic --noinput --verbosity 0

processes=(web worker beat redis)
if redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null | grep -q PONG; then
    echo "A Redis already answers on 127.0.0.1:6379: using it instead of starting one."
    processes=(web worker beat)
fi

cat <<'BANNER'

  opsportal is starting on http://127.0.0.1:8000/

  Demo logins (password for all: opsportal-demo)
    manager     Operations Manager
    warehouse   Warehouse Staff (WH-ATL, WH-EWR)
    warehouse2  Warehouse Staff (WH-CHI)
    quality     Operations Manager (quality lead, approves SOPs)
    contracts   Contract Admin
    admin       superuser (Django admin at /admin/)

  Ctrl-C stops the web server, the worker, beat and Redis.

BANNER

exec honcho start --procfile Procfile "${processes[@]}"
