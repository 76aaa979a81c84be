#!/bin/sh
# What the test suite needs beyond npm's packages, installed from Debian's when missing (npm test runs
# this first, so `npm ci && npm test` passes on a fresh Debian machine). As another user than root it only
# says what is missing; the tests that need it then fail with the package's name.
set -eu
need=""
command -v ip >/dev/null 2>&1 || need="$need iproute2"          # network-namespace tests (ip netns, veth)
command -v python3 >/dev/null 2>&1 || need="$need python3"      # planted processes
[ -x /usr/bin/chromium ] || need="$need chromium"               # the dashboard in a real browser (playwright-core)
command -v logger >/dev/null 2>&1 || need="$need bsdutils"      # syslog alerts; script (a program on a pty)
command -v tmux >/dev/null 2>&1 || need="$need tmux"            # a shell on a pty tmux made (rule reverse-shell)
command -v nft >/dev/null 2>&1 || need="$need nftables"         # firewall rulesets in test namespaces (reach)
command -v iptables-save >/dev/null 2>&1 || need="$need iptables" # the same with iptables, nf_tables and legacy
command -v cc >/dev/null 2>&1 || need="$need gcc libc6-dev"     # the test rootkit (LD_PRELOAD shim) of the hidden-socket tests
command -v nsenter >/dev/null 2>&1 || need="$need util-linux"  # nsenter, unshare: namespaces of the firewall and hiding tests
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need="$need postgresql" # a throwaway cluster for the fleet store's tests (initdb, postgres)
command -v promtool >/dev/null 2>&1 || need="$need prometheus"  # promtool: checks contrib/prometheus (scrape config, alerting rules)
[ -z "$need" ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "test-deps: missing Debian packages:$need (run as root, or: sudo apt-get install$need)" >&2
  exit 0
fi
echo "test-deps: installing$need" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
apt-get install -y -qq $need >&2
