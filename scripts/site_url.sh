# Sourced by scripts/run.sh: links in e-mails and the OAuth callback follow the port, unless
# SITE_URL is set in the environment or in .env.
if [ -z "${SITE_URL:-}" ] && ! grep -qs '^SITE_URL=' .env; then
  export SITE_URL="http://127.0.0.1:${PORT:-8000}"
fi
