#!/usr/bin/env bash
# Starts a throw-away smtp4dev (a real SMTP server with an HTTP API to read what it received) on free local ports.
# Usage: eval "$(infra/scripts/start-smtp.sh)"   → exports PORTAL_TEST_SMTP (host:port), PORTAL_TEST_SMTP_API
#        (http://host:port of its API) and PORTAL_SMTP_PID
# Stop it with: infra/scripts/stop-smtp.sh "$PORTAL_SMTP_PID"
set -euo pipefail
cd "$(dirname "$0")/../.."

dotnet tool restore >/dev/null
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
smtp_port=$(free_port)
http_port=$(free_port)
dir=$(mktemp -d /tmp/portal-smtp.XXXXXX)
# In-memory database, no IMAP/POP3, loopback only; XDG_CONFIG_HOME keeps its settings file out of the home folder.
XDG_CONFIG_HOME="$dir" setsid dotnet smtp4dev --urls="http://127.0.0.1:$http_port" --smtpport="$smtp_port" \
  --bindaddress=127.0.0.1 --disableipv6 --imapport="" --pop3port="" --db="" --nousersettings --tlsmode=None \
  --messagestokeep=1000 >"$dir/smtp4dev.log" 2>&1 </dev/null &
pid=$!
for _ in $(seq 1 120); do
  if curl -fsS "http://127.0.0.1:$http_port/api/messages" >/dev/null 2>&1 && (exec 3<>"/dev/tcp/127.0.0.1/$smtp_port") 2>/dev/null; then
    echo "export PORTAL_SMTP_PID='$pid'"
    echo "export PORTAL_SMTP_DIR='$dir'"
    echo "export PORTAL_TEST_SMTP='127.0.0.1:$smtp_port'"
    echo "export PORTAL_TEST_SMTP_API='http://127.0.0.1:$http_port'"
    exit 0
  fi
  if ! kill -0 "$pid" 2>/dev/null; then break; fi
  sleep 0.5
done
echo "smtp4dev did not start; SMTP tests will be skipped. Its log:" >&2
tail -n 20 "$dir/smtp4dev.log" >&2
kill -- "-$pid" 2>/dev/null || kill "$pid" 2>/dev/null
rm -rf "$dir"
exit 3
