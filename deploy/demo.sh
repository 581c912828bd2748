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

for _ in $(seq 100); do
  "$build_dir/bin/yardgatectl" --server "$listen" health >/dev/null 2>&1 && break
  kill -0 $server 2>/dev/null || { echo "demo: yardgate-server did not start" >&2; exit 1; }
  sleep 0.1
done
"$build_dir/bin/yardgatectl" --server "$listen" health
# The officer and token are the demo ones in deploy/yardgate.conf.
"$build_dir/bin/yardgatectl" --server "$listen" demo --officer officer-demo --token demo-officer-token-change-me
echo
echo "demo: yardgate-server is serving gRPC on $listen with its data in ./var; Ctrl-C stops it."
echo "demo: try: $build_dir/bin/yardgatectl --server $listen subscribe"
wait $server
