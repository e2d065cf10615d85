// How `renrakumo listen` shows a delivery: a few readable lines for the person on duty, or
// one JSON object per line (--json) for scripts.
#pragma once

#include <string>

#include "lib/provenance.h"
#include "renrakumo/v1/wire.pb.h"

namespace renrakumo::cli {

// `provenance` (from Client::Check) adds who signed it and whether the signatures hold.
std::string FormatReadable(const v1::Delivery& d, const client::Provenance* provenance = nullptr);
std::string FormatJson(const v1::Delivery& d, const client::Provenance* provenance = nullptr);

}  // namespace renrakumo::cli
