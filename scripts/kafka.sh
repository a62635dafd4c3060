#!/usr/bin/env bash
# A real single-node Apache Kafka broker (KRaft) on 127.0.0.1, from the official Maven Central
# artifacts (org.apache.kafka:kafka_2.13, see scripts/kafka/pom.xml), run with the machine's Java 17.
#
#   scripts/kafka.sh start    # downloads the jars once (cached in .cache/kafka), formats, starts, waits until ready
#   scripts/kafka.sh stop     # SIGTERM by PID; waits for a clean shutdown
#   scripts/kafka.sh status
#
# KAFKA_PORT (19092) and KAFKA_CONTROLLER_PORT (19093) choose the ports; KAFKA_INSTANCE (default)
# names the data folder, so tests can run a second broker beside the first.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cache="${KAFKA_CACHE_DIR:-$root/.cache/kafka}"
port="${KAFKA_PORT:-19092}"
controller_port="${KAFKA_CONTROLLER_PORT:-19093}"
instance="${KAFKA_INSTANCE:-default}"
data="$cache/data/$instance"
pidfile="$data/broker.pid"
logfile="$data/broker.log"
classpath="$cache/libs/*"

running() { [[ -f "$pidfile" ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }
ready() { (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; }

fetch_jars() {
  [[ -f "$cache/libs/.complete" ]] && return
  echo "kafka: fetching the broker's jars from Maven Central into $cache/libs"
  mkdir -p "$cache/libs"
  mvn -q -B -f "$root/scripts/kafka/pom.xml" dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$cache/libs"
  touch "$cache/libs/.complete"
}

start() {
  if running; then echo "kafka: already running (pid $(cat "$pidfile")) on 127.0.0.1:$port"; return; fi
  command -v java >/dev/null || { echo "kafka: needs Java 17+ on the PATH" >&2; exit 1; }
  fetch_jars
  mkdir -p "$data/logs"
  cat > "$data/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=127.0.0.1:$controller_port
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$controller_port
advertised.listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$controller_port
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$data/logs
num.partitions=3
offsets.topic.replication.factor=1
offsets.topic.num.partitions=3
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=true
PROPS
  if [[ ! -f "$data/logs/meta.properties" ]]; then
    cluster_id="$(java -cp "$classpath" kafka.tools.StorageTool random-uuid)"
    java -Dlog4j2.configurationFile="$root/scripts/kafka/log4j2.properties" -cp "$classpath" kafka.tools.StorageTool \
      format -t "$cluster_id" -c "$data/server.properties" --standalone --ignore-formatted >/dev/null
  fi
  nohup java -Xms128m -Xmx512m -XX:+UseG1GC -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$root/scripts/kafka/log4j2.properties" \
    -cp "$classpath" kafka.Kafka "$data/server.properties" >"$logfile" 2>&1 &
  echo $! >"$pidfile"
  for _ in $(seq 1 120); do
    if ready; then echo "kafka: ready on 127.0.0.1:$port (pid $(cat "$pidfile"))"; return; fi
    if ! running; then echo "kafka: the broker exited; its log:" >&2; tail -n 40 "$logfile" >&2; exit 1; fi
    sleep 0.25
  done
  echo "kafka: not ready after 30 s; its log:" >&2; tail -n 40 "$logfile" >&2; exit 1
}

stop() {
  if ! running; then echo "kafka: not running"; rm -f "$pidfile"; return; fi
  local pid; pid="$(cat "$pidfile")"
  kill -TERM "$pid"
  for _ in $(seq 1 120); do kill -0 "$pid" 2>/dev/null || { rm -f "$pidfile"; echo "kafka: stopped"; return; }; sleep 0.25; done
  echo "kafka: still running after 30 s; killing it" >&2
  kill -KILL "$pid" 2>/dev/null || true
  rm -f "$pidfile"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) if running; then echo "kafka: running (pid $(cat "$pidfile")) on 127.0.0.1:$port"; else echo "kafka: not running"; exit 3; fi ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
