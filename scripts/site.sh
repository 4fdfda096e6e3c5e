# Sourced by scripts/serve and scripts/serve-production: what both do before and beside the web
# server. Functions only; bootstrap.sh has made .venv and put it on PATH.

# The secret key, the database and the index are this user's alone.
# var/ (IMR_VAR_DIR) holds them, as the settings read it.
var_dir=${IMR_VAR_DIR:-var}
prepare_site() {
  umask 077
  mkdir -p "$var_dir"
  chmod 700 "$var_dir"
  if [ -z "${SECRET_KEY:-}" ]; then
    [ -s "$var_dir/secret_key" ] || python -c 'import secrets; print(secrets.token_urlsafe(50))' > "$var_dir/secret_key"
    export SECRET_KEY=$(cat "$var_dir/secret_key")
  fi
  python manage.py migrate --noinput -v0
  python manage.py collectstatic --noinput -v0
  python manage.py rebuild_index --if-outdated
  if [ -n "${DJANGO_SUPERUSER_USERNAME:-}" ] && [ -n "${DJANGO_SUPERUSER_PASSWORD:-}" ]; then
    python manage.py createsuperuser --noinput --email "${DJANGO_SUPERUSER_EMAIL:-admin@localhost}" 2>/dev/null \
      || echo "Admin user ${DJANGO_SUPERUSER_USERNAME} already exists."
  fi
}

# The background worker (imports, re-parses, index rebuilds, keeping the index in step) runs beside
# the web server. Whatever way it ends (a crash, kill -9, an exit status) it is started again, and
# a job it held resumes; errexit is off in this loop, which must outlive every failure.
start_worker_loop() {
  (
    set +e
    while :; do
      python manage.py run_worker -v0
      echo "The background worker stopped (exit status $?); starting it again." >&2
      sleep 2
    done
  ) &
  worker_loop=$!
}

# Stop the worker loop, its worker and the given servers; then the script ends.
stop_site() {
  trap - INT TERM EXIT
  local workers
  workers=$(pgrep -P "$worker_loop" || true)
  kill -TERM "$worker_loop" $workers "$@" 2>/dev/null || true
  wait "$@" 2>/dev/null || true
}
