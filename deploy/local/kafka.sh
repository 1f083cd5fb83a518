#!/usr/bin/env bash
# Apache Kafka for the local stack: one KRaft process (broker + controller) on port 19092,
# run from the official jars on Maven Central, resolved by kafka/pom.xml into a cache keyed by version.
# Every connection authenticates (SASL/PLAIN) and the broker enforces ACLs: the admin principal
# (a super user; stack.env's KAFKA_USERNAME/KAFKA_PASSWORD, for tests and tools) and one principal
# per service (passwords in $STARMINER_RUN/kafka/principals, mode 600, generated once per run
# directory; services.sh gives each service its own and provisions its ACLs, kafka/acls.js).
# KAFKA_BROKERS set in the environment: that cluster is used and nothing is started (with
# KAFKA_SASL_MECHANISM/KAFKA_USERNAME/KAFKA_PASSWORD from the environment, if given, and the
# services' passwords from KAFKA_PRINCIPALS_FILE, if given).
# usage: kafka.sh install|start|stop|status
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/versions.env"
source "$here/lib.sh"

KAFKA_PORT="${KAFKA_PORT:-19092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-19093}"
libs="$(cache_dir)/kafka/${KAFKA_VERSION}/libs"
data="$(run_dir)/kafka/data"
principals="$(run_dir)/kafka/principals"

install_kafka() {
  if [ -f "$libs/.complete" ]; then return 0; fi
  need java "a Java 17+ runtime (Debian: apt-get install -y openjdk-17-jre-headless)"
  need mvn "Apache Maven (Debian: apt-get install -y maven)"
  log "resolving Apache Kafka ${KAFKA_VERSION} jars from Maven Central into $libs"
  rm -rf "$libs"; mkdir -p "$libs"
  mvn -q -B -Dstyle.color=never --no-transfer-progress -f "$here/kafka/pom.xml" dependency:copy-dependencies -DincludeScope=runtime \
    -Dkafka.version="$KAFKA_VERSION" -Dscala.binary="$KAFKA_SCALA" -DoutputDirectory="$libs" \
    || die "Maven could not resolve org.apache.kafka:kafka_${KAFKA_SCALA}:${KAFKA_VERSION}"
  touch "$libs/.complete"
}

java_opts=(-Xms256m -Xmx1g -XX:+UseG1GC -Djava.awt.headless=true
  "-Dlog4j.configuration=file:$here/kafka/log4j.properties" -cp "$libs/*")
kafka_java() { java "${java_opts[@]}" "$@"; }

# The principals file (name=password a line, mode 600): created once per run directory, and a
# principal added to kafka/acls.js later gets a password on the next start.
ensure_principals() {
  local name
  need node "Node.js (the repository's runtime)"
  (
    umask 077
    mkdir -p "$(dirname "$principals")"
    touch "$principals"
    node "$here/kafka/acls.js" principals | while read -r name; do
      grep -q "^$name=" "$principals" || echo "$name=$(od -An -tx1 -N24 /dev/urandom | tr -d ' \n')" >>"$principals"
    done
  )
  chmod 600 "$principals"
}
password_of() { grep "^$1=" "$principals" | head -1 | cut -d= -f2-; }

# JAAS of a listener: this node's own principal (admin) and the users PLAIN accepts.
jaas() {
  local users=() name pw
  while IFS='=' read -r name pw; do
    [ -n "$name" ] || continue
    if [ "$1" = all ] || [ "$name" = admin ]; then users+=("user_$name=\"$pw\""); fi
  done <"$principals"
  echo "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"admin\" password=\"$(password_of admin)\" ${users[*]};"
}

# stack.env holds the admin's password: readable by this user only.
write_kafka_env() {
  write_env kafka "$@"
  chmod 600 "$(run_dir)/stack.env" "$(run_dir)/env.d/kafka.env"
}

case "${1:-}" in
  install) install_kafka ;;
  start)
    if [ -n "${KAFKA_BROKERS:-}" ]; then
      log "KAFKA_BROKERS is set: using $KAFKA_BROKERS, not starting Kafka"
      lines=("KAFKA_BROKERS=$KAFKA_BROKERS")
      for v in KAFKA_SASL_MECHANISM KAFKA_USERNAME KAFKA_PASSWORD KAFKA_PRINCIPALS_FILE; do
        if [ -n "${!v:-}" ]; then lines+=("$v=${!v}"); fi
      done
      write_kafka_env "${lines[@]}"
      exit 0
    fi
    install_kafka
    ensure_principals
    conf="$(run_dir)/kafka/server.properties"
    mkdir -p "$data"
    # The configuration holds every password: written for this user only.
    (
      umask 077
      broker_jaas=$(jaas all) controller_jaas=$(jaas admin)
      sed -e "s#@PORT@#$KAFKA_PORT#g" -e "s#@CONTROLLER_PORT@#$KAFKA_CONTROLLER_PORT#g" -e "s#@DATA@#$data#g" \
        -e "s#@BROKER_JAAS@#$broker_jaas#" -e "s#@CONTROLLER_JAAS@#$controller_jaas#" \
        "$here/kafka/server.properties.tmpl" >"$conf.new"
      mv "$conf.new" "$conf"
    )
    chmod 600 "$conf"
    if [ ! -f "$data/meta.properties" ]; then
      log "formatting Kafka storage in $data"
      cluster_id=$(kafka_java kafka.tools.StorageTool random-uuid 2>/dev/null | tail -1)
      kafka_java kafka.tools.StorageTool format -t "$cluster_id" -c "$conf" >"$(run_dir)/kafka-format.log" 2>&1 \
        || die "formatting Kafka storage failed: see $(run_dir)/kafka-format.log"
    fi
    if ! is_running kafka; then
      log "starting Kafka ${KAFKA_VERSION} (KRaft, SASL/PLAIN, ACLs) on 127.0.0.1:$KAFKA_PORT"
      start_bg kafka "$(run_dir)/kafka.log" java "${java_opts[@]}" kafka.Kafka "$conf"
    fi
    wait_for "Kafka on :$KAFKA_PORT" 120 port_open "$KAFKA_PORT"
    write_kafka_env "KAFKA_BROKERS=127.0.0.1:$KAFKA_PORT" KAFKA_SASL_MECHANISM=plain KAFKA_USERNAME=admin \
      "KAFKA_PASSWORD=$(password_of admin)" "KAFKA_PRINCIPALS_FILE=$principals"
    log "Kafka ${KAFKA_VERSION} listening on 127.0.0.1:$KAFKA_PORT (admin and service principals: $principals)"
    ;;
  stop)
    stop_bg kafka
    drop_env kafka
    ;;
  status)
    is_running kafka && echo "kafka: running on :$KAFKA_PORT (${KAFKA_VERSION})" || echo "kafka: stopped"
    ;;
  *) die "usage: $0 install|start|stop|status" ;;
esac
