// How `renrakumo listen` shows a delivery: a few readable lines for the person on duty, or
// one JSON object per line (--json) for scripts.
#pragma once

#include <string>

#include "renrakumo/v1/wire.pb.h"

namespace renrakumo::cli {

std::string FormatReadable(const v1::Delivery& d);
std::string FormatJson(const v1::Delivery& d);

}  // namespace renrakumo::cli
