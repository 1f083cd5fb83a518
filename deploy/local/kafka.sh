#!/usr/bin/env bash
# Apache Kafka for the local stack: one KRaft process (broker + controller) on port 19092,
# run from the official jars on Maven Central, resolved by kafka/pom.xml into a cache keyed by version.
# KAFKA_BROKERS set in the environment: that cluster is used and nothing is started.
# usage: kafka.sh install|start|stop|status|topics
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/versions.env"
source "$here/lib.sh"

KAFKA_PORT="${KAFKA_PORT:-19092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-19093}"
libs="$(cache_dir)/kafka/${KAFKA_VERSION}/libs"
data="$(run_dir)/kafka/data"

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

# Creates the topics of kafka/topics.txt that do not exist yet (one JVM to list, one per new topic).
create_topics() {
  local existing name parts
  existing=$(kafka_java org.apache.kafka.tools.TopicCommand --bootstrap-server "127.0.0.1:$KAFKA_PORT" --list 2>/dev/null)
  grep -vE '^\s*(#|$)' "$here/kafka/topics.txt" | while read -r name parts; do
    if ! grep -qx "$name" <<<"$existing"; then
      kafka_java org.apache.kafka.tools.TopicCommand --bootstrap-server "127.0.0.1:$KAFKA_PORT" \
        --create --if-not-exists --topic "$name" --partitions "$parts" --replication-factor 1 >/dev/null \
        || die "could not create topic $name"
      log "created topic $name ($parts partitions)"
    fi
  done
}

case "${1:-}" in
  install) install_kafka ;;
  start)
    if [ -n "${KAFKA_BROKERS:-}" ]; then log "KAFKA_BROKERS is set: using $KAFKA_BROKERS, not starting Kafka"; write_env kafka "KAFKA_BROKERS=$KAFKA_BROKERS"; exit 0; fi
    install_kafka
    conf="$(run_dir)/kafka/server.properties"
    mkdir -p "$data"
    sed -e "s#@PORT@#$KAFKA_PORT#g" -e "s#@CONTROLLER_PORT@#$KAFKA_CONTROLLER_PORT#g" -e "s#@DATA@#$data#g" \
      "$here/kafka/server.properties.tmpl" >"$conf"
    if [ ! -f "$data/meta.properties" ]; then
      log "formatting Kafka storage in $data"
      cluster_id=$(kafka_java kafka.tools.StorageTool random-uuid 2>/dev/null | tail -1)
      kafka_java kafka.tools.StorageTool format -t "$cluster_id" -c "$conf" >"$(run_dir)/kafka-format.log" 2>&1 \
        || die "formatting Kafka storage failed: see $(run_dir)/kafka-format.log"
    fi
    if ! is_running kafka; then
      log "starting Kafka ${KAFKA_VERSION} (KRaft) on 127.0.0.1:$KAFKA_PORT"
      start_bg kafka "$(run_dir)/kafka.log" java "${java_opts[@]}" kafka.Kafka "$conf"
    fi
    wait_for "Kafka on :$KAFKA_PORT" 120 port_open "$KAFKA_PORT"
    create_topics
    write_env kafka "KAFKA_BROKERS=127.0.0.1:$KAFKA_PORT"
    log "Kafka ${KAFKA_VERSION} listening on 127.0.0.1:$KAFKA_PORT"
    ;;
  topics) create_topics ;;
  stop)
    stop_bg kafka
    drop_env kafka
    ;;
  status)
    is_running kafka && echo "kafka: running on :$KAFKA_PORT (${KAFKA_VERSION})" || echo "kafka: stopped"
    ;;
  *) die "usage: $0 install|start|stop|status|topics" ;;
esac
