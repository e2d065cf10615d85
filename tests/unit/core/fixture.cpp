#include "fixture.h"

#include <google/protobuf/text_format.h>

#include <cstdlib>

namespace renrakumo::testing {

const core::Topology& SmallNetwork() {
  static const core::Topology topology = [] {
    v1::Topology t;
    const bool ok = google::protobuf::TextFormat::ParseFromString(R"pb(
      sectors { id: "telecom" ministries: "mic" advisory_path: ADVISORY_PATH_DIRECT
                peer_sharing: PEER_SHARING_DIRECT critical_systems: "network_management" }
      sectors { id: "finance" ministries: "fsa" advisory_path: ADVISORY_PATH_VIA_ASSOCIATION
                peer_sharing: PEER_SHARING_VIA_ASSOCIATION relay_associations: "jba"
                critical_systems: "core_banking" }
      sectors { id: "railway" ministries: "mlit" advisory_path: ADVISORY_PATH_DIRECT
                peer_sharing: PEER_SHARING_NONE }
      sectors { id: "it_services" ministries: "meti" advisory_path: ADVISORY_PATH_DIRECT
                report_path: REPORT_PATH_VIA_SERVED_OPERATORS peer_sharing: PEER_SHARING_NONE }
      sectors { id: "government" ministries: "cabinet" ministries: "mic"
                advisory_path: ADVISORY_PATH_DIRECT peer_sharing: PEER_SHARING_DIRECT }
      nodes { id: "cabinet" kind: NODE_KIND_CABINET name: "Cabinet Secretariat" }
      nodes { id: "mic" kind: NODE_KIND_MINISTRY }
      nodes { id: "fsa" kind: NODE_KIND_MINISTRY name: "FSA" }
      nodes { id: "mlit" kind: NODE_KIND_MINISTRY }
      nodes { id: "meti" kind: NODE_KIND_MINISTRY }
      nodes { id: "carrier-a" kind: NODE_KIND_OPERATOR sector: "telecom" public_keys: "key-carrier-a" }
      nodes { id: "carrier-b" kind: NODE_KIND_OPERATOR sector: "telecom" }
      nodes { id: "bank-a" kind: NODE_KIND_OPERATOR sector: "finance" name: "Bank A" }
      nodes { id: "bank-b" kind: NODE_KIND_OPERATOR sector: "finance" }
      nodes { id: "jba" kind: NODE_KIND_ASSOCIATION sector: "finance" members: "bank-a" members: "bank-b" }
      nodes { id: "rail-a" kind: NODE_KIND_OPERATOR sector: "railway" }
      nodes { id: "provider-a" kind: NODE_KIND_PROVIDER sector: "it_services" serves: "bank-a" serves: "carrier-a" }
      nodes { id: "vendor-x" kind: NODE_KIND_PROVIDER sector: "it_services" vendor: true }
      nodes { id: "city-b" kind: NODE_KIND_OPERATOR sector: "government" supervisor: "mic" }
      nodes { id: "ministry-sys" kind: NODE_KIND_OPERATOR sector: "government" }
    )pb", &t);
    if (!ok) std::abort();
    return core::Topology(t);
  }();
  return topology;
}

v1::Envelope Report(std::string_view id, std::string_view system) {
  v1::Envelope env;
  env.set_message_id(std::string(id));
  env.set_tlp(v1::TLP_AMBER);
  auto* r = env.mutable_report();
  r->set_incident_id("inc-" + std::string(id));
  r->set_phase(v1::PHASE_FLASH);
  r->set_situation(v1::SITUATION_SERIOUS_FAILURE);
  r->set_likelihood(v1::LIKELIHOOD_POSSIBLE_UNCLEAR);
  r->set_affected_system(std::string(system));
  return env;
}

v1::Envelope Advisory(std::initializer_list<const char*> sectors) {
  v1::Envelope env;
  env.set_message_id("adv-1");
  env.set_tlp(v1::TLP_GREEN);
  auto* a = env.mutable_advisory();
  a->set_kind(v1::ADVISORY_WARNING);
  a->set_title("Patch the VPN gateways");
  for (const char* s : sectors) a->mutable_audience()->add_sectors(s);
  return env;
}

}  // namespace renrakumo::testing
