// The hub's fast path for the request that comes by the thousand during an attack: a Submit.
// FindSubmit reads the request id and the envelope's byte range straight from the received
// frame, so the envelope is not first copied into an IngestRequest and then moved out of it.
//
// It recognises only the plain encoding every client produces (request_id, then submit, each
// once; inside Submit only its envelope) and answers nullopt for anything else, which the
// caller then parses in full. Whenever it answers, IngestRequest::ParseFromArray on the same
// bytes gives a Submit with the same request id and the same envelope bytes (the fuzz target
// checks this on every input).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace renrakumo::core {

struct SubmitFrame {
  uint64_t request_id = 0;
  std::string_view envelope;  // within the frame given to FindSubmit
};

std::optional<SubmitFrame> FindSubmit(std::string_view frame);

}  // namespace renrakumo::core
