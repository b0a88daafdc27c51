pid=$(pgrep -f "admin-addr 127.0.0.1:19001" | head -1); [ -n "$pid" ] && kill $pid; sleep 1
(VSTASH_ADMIN_KEY=test-admin-key-123456 VSTASH_ACCESS_KEY=AKEXPLORE0000000000 VSTASH_SECRET_KEY=explore-secret-123456 VSTASH_LOG_LEVEL=info deno run -A main.ts serve --data-dir /tmp/vs/data --s3-addr 127.0.0.1:19000 --admin-addr 127.0.0.1:19001 > /tmp/vs/server.log 2>&1 &)
sleep 3
