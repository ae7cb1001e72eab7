#!/usr/bin/env bash
# Start the web console, one Celery worker and the beat scheduler; Ctrl-C stops all three.
set -u
cd "$(dirname "$0")/.."
BIN=.venv/bin
PORT=${PORT:-8000}
mkdir -p var
. scripts/site_url.sh

pids=()
stop() {
  trap - INT TERM EXIT
  echo; echo "Stopping web, worker and beat..."
  kill -TERM "${pids[@]}" 2>/dev/null
  # Give each process ten seconds to finish its current work, then make sure it is gone.
  for _ in $(seq 20); do
    alive=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ "$alive" = 0 ] && break
    sleep 0.5
  done
  kill -KILL "${pids[@]}" 2>/dev/null
  wait "${pids[@]}" 2>/dev/null
  exit 0
}
trap stop INT TERM EXIT

$BIN/celery -A tempostar worker --loglevel=INFO --concurrency=2 &
pids+=($!)
$BIN/celery -A tempostar beat --loglevel=INFO &
pids+=($!)
$BIN/python manage.py runserver "127.0.0.1:${PORT}" &
pids+=($!)

echo "TEMPOSTAR console: http://127.0.0.1:${PORT}/  (log in with a demo user shown above)"
# Whichever process exits first brings the others down.
wait -n
stop
