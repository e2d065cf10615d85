// What the core answers about one submitted message: accepted with its deliveries, or
// rejected with a stable code and a sentence for the person who sent it.
#pragma once

#include <string>
#include <vector>

#include "core/journal.h"
#include "renrakumo/v1/wire.pb.h"

namespace renrakumo::core {

struct Rejection {
  v1::RejectCode code = v1::REJECT_UNSPECIFIED;
  std::string reason;
};

struct Decision {
  bool accepted = false;
  Rejection rejection;                    // when !accepted
  std::string kind;                       // report, assessment, advisory, relay, share
  std::vector<PlannedDelivery> deliveries;  // when accepted; each stream at most once

  static Decision Reject(v1::RejectCode code, std::string reason) {
    Decision d;
    d.rejection = {code, std::move(reason)};
    return d;
  }
};

std::string_view RejectCodeName(v1::RejectCode code);

}  // namespace renrakumo::core
