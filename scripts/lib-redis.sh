# shellcheck shell=bash
# Shared by scripts/devenv.sh and the Redis topology scripts (scripts/redis-sentinel.sh):
# the secrets, the local CA and server certificate, and the ACL users every Redis node of
# the local environment carries, so that one server and every topology enforce the same
# rules. Sourced; expects RUN to be set (the run folder).

SECRETS=$RUN/secrets
TLS=$RUN/tls

log() { echo "devenv: $*" >&2; }

secret() {  # secret NAME: create once (random, 32 hex chars), print its path
  local f=$SECRETS/$1
  if [ ! -s "$f" ]; then
    mkdir -p "$SECRETS"; chmod 700 "$SECRETS"
    (umask 077; openssl rand -hex 16 | tr -d '\n' >"$f")
  fi
  echo "$f"
}

make_tls() {
  [ -s "$TLS/redis.crt" ] && return 0
  mkdir -p "$TLS"; chmod 700 "$TLS"
  log "creating a local CA and the Redis server certificate in $TLS"
  (
    cd "$TLS" || exit 1; umask 077
    openssl req -x509 -new -nodes -newkey rsa:2048 -sha256 -days 3650 \
      -subj "/CN=Shopfloor local CA" -keyout ca.key -out ca.crt 2>/dev/null
    openssl req -new -nodes -newkey rsa:2048 -subj "/CN=localhost" \
      -keyout redis.key -out redis.csr 2>/dev/null
    printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' >redis.ext
    openssl x509 -req -in redis.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 \
      -sha256 -extfile redis.ext -out redis.crt 2>/dev/null
    # A client certificate, for setups that require mutual TLS.
    openssl req -new -nodes -newkey rsa:2048 -subj "/CN=shopfloor" \
      -keyout client.key -out client.csr 2>/dev/null
    printf 'extendedKeyUsage=clientAuth\n' >client.ext
    openssl x509 -req -in client.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 \
      -sha256 -extfile client.ext -out client.crt 2>/dev/null
    rm -f ./*.csr ./*.ext
    chmod 644 ca.crt redis.crt client.crt
  )
}

# TLS server settings of a node listening on port $1 (TLS only).
redis_tls_conf() {
  cat <<CONF
port 0
tls-port $1
tls-cert-file $TLS/redis.crt
tls-key-file $TLS/redis.key
tls-ca-cert-file $TLS/ca.crt
# Clients verify the server; a client certificate is optional (mutual TLS off).
tls-auth-clients optional
CONF
}

# What every local redis-server and Sentinel shares: loopback only, TLS only on port $1,
# a daemon with its pid file, log and data in folder $2.
redis_base_conf() {
  cat <<CONF
bind 127.0.0.1
protected-mode yes
CONF
  redis_tls_conf "$1"
  cat <<CONF
daemonize yes
pidfile $2/redis.pid
logfile $2/redis.log
dir $2
CONF
}

# The ACL users of a data node (a single server, a primary or a replica).
redis_acl_conf() {
  local app_pw admin_pw
  app_pw=$(cat "$(secret redis_password)")
  admin_pw=$(cat "$(secret redis_admin_password)")
  cat <<CONF
# The default user is off; every client authenticates.
user default off
# The services: their key prefix only, no pub/sub channels, and only the commands
# they send: the handshake (AUTH, SELECT, CLIENT SETNAME, INFO server; ROLE in sentinel
# mode, which checks that a connection reached the primary), the Redis cache backend
# (MGET, SET, INCR, EVALSHA, SCRIPT LOAD; its scripts call GET, SET, DEL, INCR, and SADD,
# SMEMBERS, PTTL, PEXPIRE for the tag sets of list pages) and what
# the tests send as this user (PING, GET, SET, DEL), and SCAN for "shopfloor admin cache
# stats|retire --all" (it counts the prefix's keys with the services' own user; SCAN
# MATCHes the prefix, incrementally, unlike KEYS, which stays off). No FLUSHALL, CONFIG,
# KEYS, DEBUG...
user shopfloor on >$app_pw resetkeys ~sf:* resetchannels -@all +ping +auth +select +client|setname +info +role +get +mget +set +del +incr +sadd +smembers +pttl +pexpire +evalsha +script|load +scan
# Operators and the test harness (benchmarks, restarts): everything.
user admin on >$admin_pw ~* &* +@all
CONF
}
