#!/usr/bin/env bash
# Builds yardgate, starts yardgate-server on an embedded SQLite database under ./var, drives a
# demo truck visit through lane L1 with yardgatectl, prints the decisions, and keeps the server
# running until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
bash deploy/build.sh
build_dir=${BUILD_DIR:-build}
listen=${YARDGATE_GRPC_LISTEN:-127.0.0.1:50051}

mkdir -p var
"$build_dir/bin/yardgate-server" --config deploy/yardgate.conf --data-dir var --grpc-listen "$listen" &
server=$!
trap 'kill -TERM $server 2>/dev/null; wait $server' INT TERM EXIT

ctl=("$build_dir/bin/yardgatectl" --server "$listen" --tokens deploy/demo-tokens)
for _ in $(seq 100); do
  "${ctl[@]}" health >/dev/null 2>&1 && break
  kill -0 $server 2>/dev/null || { echo "demo: yardgate-server did not start" >&2; exit 1; }
  sleep 0.1
done
"${ctl[@]}" health
# The demo principals (deploy/yardgate.conf [auth], their tokens in deploy/demo-tokens): the
# terminal system books, customs releases, an officer seals, lane L1's kiosk reports the truck.
"${ctl[@]}" demo --officer officer-demo
echo
echo "demo: yardgate-server is serving gRPC on $listen with its data in ./var; Ctrl-C stops it."
echo "demo: try: $build_dir/bin/yardgatectl --server $listen --tokens deploy/demo-tokens subscribe"
wait $server
