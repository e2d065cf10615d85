#!/usr/bin/env bash
# The sample network, end to end: installs the Debian packages, builds, generates keys for
# the hub and every node of config/topology.yaml into ./state, starts the hub, and walks
# through the seed's contact paths while narrating each hop. Run as root on Debian 12:
#   bash deploy/demo/run.sh
# Set SKIP_BUILD=1 to reuse an existing build in ./build.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
BUILD=${BUILD:-$ROOT/build}
STATE=$ROOT/state  # config/hub.yaml keeps its keys and journal here

if [ "${SKIP_BUILD:-0}" != 1 ]; then
  bash deploy/install-deps.sh
  cmake --preset default >/dev/null
  cmake --build --preset default -- renrakumo renrakumo-hub
fi
CLI=$BUILD/clients/renrakumo
HUB=$BUILD/hub/renrakumo-hub

bold=$'\e[1m'; dim=$'\e[2m'; off=$'\e[0m'
say()  { printf '\n%s▶ %s%s\n' "$bold" "$*" "$off"; }
as()   { local node=$1; shift; printf '%s$ renrakumo %s   # as %s%s\n' "$dim" "$*" "$node" "$off"; "$CLI" "$@" -n "$STATE/nodes/$node.yaml"; }
hub_pid=
cleanup() { [ -n "$hub_pid" ] && kill "$hub_pid" 2>/dev/null && wait "$hub_pid" 2>/dev/null; true; }
trap cleanup EXIT

say "Fresh state in $STATE: CURVE keys for the hub and every node of the sample topology"
rm -rf "$STATE"
mkdir -p "$STATE/nodes"
"$CLI" keygen --id hub --dir "$STATE/keys" >/dev/null
nodes=$(awk '/^nodes:/{n=1} n && /^ *- id:/{print $3}' config/topology.yaml)
# Who signs: government, associations (their relays) and the vendor (its published advisories).
signers=$(awk '/^nodes:/{n=1} n && /^ *- id:/{id=$3} n && /kind: (cabinet|ministry|association)|vendor: true/{print id}' \
  config/topology.yaml)
for id in $signers; do "$CLI" keygen --id "$id" --dir "$STATE/keys" --signing >/dev/null; done
for id in $nodes; do
  "$CLI" keygen --id "$id" --dir "$STATE/keys" --node-config "$STATE/nodes/$id.yaml" \
    --hub-key "$STATE/keys/hub.pub" --hub tcp://127.0.0.1:7401,tcp://127.0.0.1:7402 \
    --signers "$STATE/signers.yaml" >/dev/null
done
echo "$(echo "$nodes" | wc -w) nodes: $(echo $nodes)"
echo "Ed25519 signing keys for the $(echo "$signers" | wc -w) nodes that issue or relay advisories: $(echo $signers)"

say "The demo's hub config: the shipped one, with a 3-second relay deadline for extreme advisories"
# Real deadlines are minutes (config/rules.yaml); the demo shortens one so a fallback is seen.
sed -E '0,/^( *extreme_seconds:) *[0-9]+/s//\1 3/' config/rules.yaml >"$STATE/rules.yaml"
sed -e "s#^topology_file: .*#topology_file: $ROOT/config/topology.yaml#" \
    -e "s#^rules_file: .*#rules_file: $STATE/rules.yaml#" -e "s#\.\./state#$STATE#g" \
    config/hub.yaml >"$STATE/hub.yaml"
"$HUB" --check-config -c "$STATE/hub.yaml"
# The signers every node pins (handed out like the hub's key): whose signatures it checks.
"$HUB" signers -c "$STATE/hub.yaml" -o "$STATE/signers.yaml"
"$HUB" -c "$STATE/hub.yaml" --log-level debug >"$STATE/hub.log" 2>&1 &
hub_pid=$!
for _ in $(seq 1 100); do
  "$CLI" status -n "$STATE/nodes/fsa.yaml" >/dev/null 2>&1 && break
  kill -0 "$hub_pid" 2>/dev/null || { cat "$STATE/hub.log"; exit 1; }
done
as fsa status

say "03:12 — Megabank A's security desk files a flash report: suspected intrusion on core banking"
as megabank-a report --incident INC-2026-0042 --phase flash --situation serious_failure \
  --likelihood possible_unclear --system core_banking --evidence anomalous_traffic \
  --cyber-suspected --cause under_investigation \
  --narrative "Outbound connections from the core banking gateway to an unknown host; transfers delayed" \
  --contact "Security desk, +81-3-0000-0000" --message-id megabank-a-flash-1

say "The FSA, Megabank A's supervising ministry, receives it (and nobody else does)"
as fsa listen --count 1 --timeout 10

say "The FSA assesses it: attack highly likely (column d) — the Cabinet Secretariat is notified"
as fsa assess --incident INC-2026-0042 --reporter megabank-a --situation serious_failure \
  --likelihood high --at-risk --notes "Same implant seen at two other banks' gateways" --message-id fsa-assess-1
as cabinet listen --count 1 --timeout 10
as fsa incident INC-2026-0042 --reporter megabank-a

say "The FSA warns the finance sector — a via-association sector, so it goes to the Bankers Association"
as fsa advise --sector finance --kind warning --severity severe \
  --title "C2 traffic from core banking gateways" \
  --body "Block outbound traffic from gateways to 203.0.113.0/24 and check for the implant described." \
  --incident INC-2026-0042 --message-id fsa-warning-1
as jba listen --count 1 --timeout 10

say "The Japanese Bankers Association relays it, byte for byte, with its own commentary"
as jba relay --from fsa --original fsa-warning-1 --commentary "All member banks: act on this before markets open." \
  --message-id jba-relay-1

say "Member banks receive the relay (Megabank A also got the FSA's assessment of its incident)"
as megabank-a listen --count 2 --timeout 10
as shinkin-c listen --count 1 --timeout 10

say "Megabank A acknowledges; the FSA sees who has answered and who has not"
as megabank-a ack --from fsa --message fsa-warning-1 --state acted_on --comment "Blocked at the proxy"
as fsa status fsa-warning-1

say "Regional Bank B was offline during all this; it connects now and catches up from the journal"
as regional-bank-b listen --json --count 1 --timeout 10

say "MIC warns the telecom sector — a direct sector: every carrier and broadcaster gets it at once"
as mic advise --sector telecom --kind warning --severity moderate \
  --title "DDoS against DNS resolvers" --body "Rate-limit recursive queries." --message-id mic-warning-1
for carrier in carrier-a carrier-b broadcaster-c; do as "$carrier" listen --count 1 --timeout 10; done

say "METI issues an extreme warning to the electricity sector; its association does not relay it in time"
as meti advise --sector electricity --kind warning --severity extreme \
  --title "Intrusion attempts on plant control networks" --body "Isolate remote maintenance links now." \
  --message-id meti-warning-1
echo "(FEPC stays silent; after 3 s the hub delivers the warning to its members itself)"
as power-a listen --count 1 --timeout 20
as fepc listen --count 2 --timeout 20

say "The topology is enforced: an operator cannot issue advisories, railway has no peer sharing"
as megabank-a advise --sector finance --title "Fake warning" || true
as railway-a share --title "Signal faults" --body "Anyone else?" || true
say "A signature is not an identity: MLIT's software holding the FSA's stolen signing key is refused"
sed "s#keys/mlit.sign.key#keys/fsa.sign.key#" "$STATE/nodes/mlit.yaml" >"$STATE/nodes/mlit-stolen-key.yaml"
as mlit-stolen-key advise --sector railway --title "All clear: stand down" || true

say "The hub's log agrees"
grep -E "accepted|rejected" "$STATE/hub.log" | sed 's/^/  /'
say "Done. Keys, journal and cursors are in $STATE; the hub stops now."
