# A local Redis Cluster for tests and benchmarks: 3 primaries + 3 replicas on 127.0.0.1,
# TLS only (clients, cluster bus and replication), the same ACL users, password files,
# key-prefix rule and eviction policy as the single server of scripts/devenv.sh.
# Sourced by scripts/devenv.sh (one dispatch line), so it uses that script's functions
# (secret, make_tls, redis_write_config, log) instead of copies of them:
#
#   scripts/devenv.sh cluster-start   create and start the cluster, or start the nodes
#                                     that are down (they rejoin with their nodes.conf);
#                                     returns once every node says cluster_state:ok
#   scripts/devenv.sh cluster-stop    stop every node (the next start creates a new,
#                                     empty cluster)
#   scripts/devenv.sh cluster-status  one line per node; exit 1 if one is down
#
# Ports: SHOPFLOOR_REDIS_CLUSTER_PORT (default 56400) is the first of 6 consecutive
# data (TLS) ports; the bus port of each is its data port - 10000 (set explicitly:
# data + 10000 would pass 65535). Writes $RUN/cluster-env.sh: the seed list for tests
# (SHOPFLOOR_TEST_REDIS_CLUSTER_NODES) and SHOPFLOOR_REDIS_CLUSTER_PORT.
# shellcheck shell=bash

CLUSTER_PORT=${SHOPFLOOR_REDIS_CLUSTER_PORT:-56400}
CD=$RUN/redis-cluster
CLUSTER_NODES=6

cluster_node_port() { echo $((CLUSTER_PORT + $1)); }
cluster_node_dir() { echo "$CD/node$1"; }
cluster_node_pid() {  # the node's pid while it runs (a killed node not yet reaped does not)
  local d pid; d=$(cluster_node_dir "$1")
  [ -s "$d/redis.pid" ] || return 1
  pid=$(cat "$d/redis.pid")
  kill -0 "$pid" 2>/dev/null || return 1
  [ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" != Z ] || return 1
  echo "$pid"
}
cluster_cli() {  # cluster_cli INDEX ARGS...: as the admin user, over TLS
  local i=$1; shift
  redis-cli --tls --cacert "$TLS/ca.crt" -h 127.0.0.1 -p "$(cluster_node_port "$i")" \
    --user admin --pass "$(cat "$(secret redis_admin_password)")" --no-auth-warning "$@"
}
cluster_seeds() {
  local i out=""
  for i in $(seq 0 $((CLUSTER_NODES - 1))); do out="$out${out:+,}127.0.0.1:$(cluster_node_port "$i")"; done
  echo "$out"
}

cluster_write_config() {  # cluster_write_config INDEX
  local i=$1 port; port=$(cluster_node_port "$i")
  # The single server's configuration (TLS, ACL users, maxmemory-policy, no persistence)
  # for this node's port and folder, then the cluster settings.
  RD=$(cluster_node_dir "$i") REDIS_PORT=$port redis_write_config
  cat >>"$(cluster_node_dir "$i")/redis.conf" <<CONF
# ---- Redis Cluster (scripts/devenv-cluster.sh)
cluster-enabled yes
cluster-config-file nodes.conf
cluster-port $((port - 10000))
# Short, so that a killed primary is replaced within seconds by its replica.
cluster-node-timeout 3000
cluster-require-full-coverage yes
tls-cluster yes
tls-replication yes
# Each node is also a client of the others (bus, replication): it presents a
# certificate that allows clientAuth (the server certificate allows serverAuth only).
tls-client-cert-file $TLS/client.crt
tls-client-key-file $TLS/client.key
# The replicas authenticate to their primary as the admin user.
masteruser admin
masterauth $(cat "$(secret redis_admin_password)")
CONF
}

# The services' ACL user of the single server, plus what a cluster client needs: the
# topology (CLUSTER SLOTS and SHARDS) and ASKING (to follow an ASK redirection during a
# slot migration). Applied at run time: it adds to the rules of the generated config.
cluster_acl() {  # cluster_acl INDEX
  cluster_cli "$1" ACL SETUSER shopfloor +cluster\|slots +cluster\|shards +asking >/dev/null
}

cluster_wait_ok() {  # every node reports cluster_state:ok and knows 6 nodes (bounded: 30 s)
  local i ok
  for _ in $(seq 1 300); do
    ok=1
    for i in $(seq 0 $((CLUSTER_NODES - 1))); do
      local info; info=$(cluster_cli "$i" CLUSTER INFO 2>/dev/null | tr -d '\r') || { ok=0; break; }
      grep -q '^cluster_state:ok' <<<"$info" && grep -q "^cluster_known_nodes:$CLUSTER_NODES" <<<"$info" || { ok=0; break; }
    done
    [ $ok = 1 ] && return 0
    sleep 0.1
  done
  log "the cluster did not reach cluster_state:ok within 30 s; see $CD/node*/redis.log"
  return 1
}

cluster_wait_replicas() {  # every replica's link to its primary is up (bounded: 30 s)
  local i role
  for i in $(seq 0 $((CLUSTER_NODES - 1))); do
    for _ in $(seq 1 300); do
      role=$(cluster_cli "$i" INFO replication 2>/dev/null | tr -d '\r')
      grep -q '^role:master' <<<"$role" && break
      grep -q '^master_link_status:up' <<<"$role" && break
      sleep 0.1
    done
    grep -q -e '^role:master' -e '^master_link_status:up' <<<"$role" || {
      log "node $(cluster_node_port "$i") has no replication link to its primary"; return 1; }
  done
}

cluster_start_node() {  # cluster_start_node INDEX: start one node (down) with its nodes.conf
  local i=$1
  cluster_node_pid "$i" >/dev/null && return 0
  mkdir -p "$(cluster_node_dir "$i")"
  cluster_write_config "$i"
  redis-server "$(cluster_node_dir "$i")/redis.conf"
  for _ in $(seq 1 50); do
    if cluster_cli "$i" ping 2>/dev/null | grep -q PONG; then cluster_acl "$i"; return 0; fi
    sleep 0.1
  done
  log "cluster node $(cluster_node_port "$i") did not start; see $(cluster_node_dir "$i")/redis.log"
  return 1
}

cluster_start() {
  make_tls
  local i running=0
  for i in $(seq 0 $((CLUSTER_NODES - 1))); do cluster_node_pid "$i" >/dev/null && running=1; done
  # No node up: a new, empty cluster (a cache starts empty). Some up: restart the others,
  # which rejoin from their nodes.conf (a killed primary comes back as a replica) — on
  # the ports the cluster was created with.
  if [ $running = 1 ] && [ "$(cat "$CD/port" 2>/dev/null)" != "$CLUSTER_PORT" ]; then
    log "the cluster in $CD runs on ports from $(cat "$CD/port" 2>/dev/null), not $CLUSTER_PORT: set SHOPFLOOR_REDIS_CLUSTER_PORT or cluster-stop first"
    return 1
  fi
  [ $running = 1 ] || { rm -rf "$CD"; mkdir -p "$CD"; echo "$CLUSTER_PORT" >"$CD/port"; }
  for i in $(seq 0 $((CLUSTER_NODES - 1))); do cluster_start_node "$i" || return 1; done
  if [ $running = 0 ]; then
    local addrs=()
    for i in $(seq 0 $((CLUSTER_NODES - 1))); do addrs+=("127.0.0.1:$(cluster_node_port "$i")"); done
    cluster_cli 0 --cluster create "${addrs[@]}" --cluster-replicas 1 --cluster-yes \
      >"$CD/create.log" 2>&1 || { cat "$CD/create.log" >&2; return 1; }
  fi
  cluster_wait_ok && cluster_wait_replicas || return 1
  cluster_print_env >"$RUN/cluster-env.sh"
  log "redis cluster up on 127.0.0.1:$(cluster_node_port 0)-$(cluster_node_port $((CLUSTER_NODES - 1))) (TLS)"
}

cluster_stop() {
  local i pid
  for i in $(seq 0 $((CLUSTER_NODES - 1))); do
    pid=$(cluster_node_pid "$i") || continue
    kill "$pid"
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
    kill -9 "$pid" 2>/dev/null || true
  done
  log "redis cluster stopped"
}

cluster_status() {
  local i rc=0
  for i in $(seq 0 $((CLUSTER_NODES - 1))); do
    if cluster_node_pid "$i" >/dev/null; then
      echo "cluster node 127.0.0.1:$(cluster_node_port "$i"): up  $(cluster_cli "$i" INFO replication 2>/dev/null | tr -d '\r' | grep '^role:')"
    else
      echo "cluster node 127.0.0.1:$(cluster_node_port "$i"): down"; rc=1
    fi
  done
  return $rc
}

cluster_print_env() {
  # Not SHOPFLOOR_REDIS_MODE/NODES themselves: test.sh sources this file, and every other
  # test keeps using the single server. A cluster-mode service adds
  # SHOPFLOOR_REDIS_MODE=cluster SHOPFLOOR_REDIS_NODES=$SHOPFLOOR_TEST_REDIS_CLUSTER_NODES
  # to the settings of env.sh (TLS, user, password file).
  cat <<ENV
export SHOPFLOOR_REDIS_CLUSTER_PORT=$CLUSTER_PORT
export SHOPFLOOR_TEST_REDIS_CLUSTER_NODES=$(cluster_seeds)
ENV
}

case "$1" in
  cluster-start) cluster_start ;;
  cluster-stop) cluster_stop ;;
  cluster-status) cluster_status ;;
esac
