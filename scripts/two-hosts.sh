#!/usr/bin/env bash
# Runs a `tensorkit run` job across two "hosts" on one machine: two network namespaces (tk-host-a,
# tk-host-b) joined by a veth pair (10.77.0.1 and 10.77.0.2), each with its own hostname, so Open MPI
# sees two nodes and talks TCP between them, as it would between two machines. mpirun runs in
# host a; it starts host b's daemon through a launch agent that enters host b's namespace instead
# of ssh. Needs root, iproute2 and util-linux (ip, unshare, nsenter).
#   sudo scripts/two-hosts.sh examples/ddp-shapes.ts          (1 rank per host)
# Across real machines: a hostfile ("hostA slots=1" lines), passwordless ssh between the hosts, the
# same paths on each, and `npx tensorkit run -n 2 --hostfile hosts script.ts`.
set -euo pipefail
cd "$(dirname "$0")/.."
script=${1:?usage: scripts/two-hosts.sh script.ts [args]}
shift
work=$(mktemp -d)
cleanup() {
  for h in a b; do
    [ -f "$work/uts-$h.pid" ] && kill "$(cat "$work/uts-$h.pid")" 2>/dev/null || true
    ip netns del "tk-host-$h" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT

ip netns add tk-host-a
ip netns add tk-host-b
ip link add tk-veth-a netns tk-host-a type veth peer name tk-veth-b netns tk-host-b
ip -n tk-host-a addr add 10.77.0.1/24 dev tk-veth-a
ip -n tk-host-b addr add 10.77.0.2/24 dev tk-veth-b
for h in a b; do
  ip -n "tk-host-$h" link set lo up
  ip -n "tk-host-$h" link set "tk-veth-$h" up
  # A process holding a UTS namespace with the host's name; commands for that host join it.
  ip netns exec "tk-host-$h" unshare --uts sh -c "hostname tk-host-$h; echo \$\$ > $work/uts-$h.pid; exec sleep infinity" &
done
for h in a b; do while [ ! -s "$work/uts-$h.pid" ]; do sleep 0.05; done; done
printf '10.77.0.1 tk-host-a\n10.77.0.2 tk-host-b\n' > "$work/hosts.map"
printf 'tk-host-a slots=1\ntk-host-b slots=1\n' > "$work/hostfile"

# The launch agent: called as `agent [options] host command...`; runs the command in that host.
cat > "$work/agent" <<AGENT
#!/bin/sh
while [ "\${1#-}" != "\$1" ]; do shift; done
host=\$1; shift
exec nsenter --net=/var/run/netns/\$host --uts --target \$(cat $work/uts-\${host#tk-host-}.pid) sh -c "\$*"
AGENT
chmod +x "$work/agent"

# Each namespace resolves the other's name through /etc/hosts entries for the run.
cp /etc/hosts "$work/hosts.orig"
cat "$work/hosts.map" >> /etc/hosts
trap 'cp "$work/hosts.orig" /etc/hosts; cleanup' EXIT

nsenter --net=/var/run/netns/tk-host-a --uts --target "$(cat "$work/uts-a.pid")" \
  npx tsx src/cli.ts run -n 2 --hostfile "$work/hostfile" \
  --mpirun-arg=--mca --mpirun-arg plm_rsh_agent --mpirun-arg "$work/agent" \
  --mpirun-arg=--mca --mpirun-arg btl --mpirun-arg tcp,self \
  --mpirun-arg=--mca --mpirun-arg btl_tcp_if_include --mpirun-arg 10.77.0.0/24 \
  --mpirun-arg=--mca --mpirun-arg oob_tcp_if_include --mpirun-arg 10.77.0.0/24 \
  "$script" "$@"
