// The Submit fast path (see submit_frame.h).
#include "core/submit_frame.h"

#include <google/protobuf/io/coded_stream.h>

#include <climits>

namespace renrakumo::core {
namespace {

using google::protobuf::io::CodedInputStream;

// Field numbers and wire types of renrakumo.v1.IngestRequest and Submit (wire.proto).
constexpr uint32_t kVarint = 0, kLengthDelimited = 2;
constexpr uint32_t kRequestIdField = 1, kSubmitField = 11, kEnvelopeField = 1;

constexpr uint32_t Tag(uint32_t field, uint32_t wire_type) { return field << 3 | wire_type; }

// One length-delimited field at the stream's position: its bytes, and the stream past them.
std::optional<std::string_view> TakeBytes(CodedInputStream& in, std::string_view whole) {
  uint32_t length = 0;
  if (!in.ReadVarint32(&length)) return std::nullopt;
  const auto start = static_cast<size_t>(in.CurrentPosition());
  if (length > whole.size() - start || !in.Skip(static_cast<int>(length))) return std::nullopt;
  return whole.substr(start, length);
}

CodedInputStream Over(std::string_view bytes) {
  return CodedInputStream(reinterpret_cast<const uint8_t*>(bytes.data()),
                          static_cast<int>(bytes.size()));
}

// Submit holding its envelope and nothing else.
std::optional<std::string_view> EnvelopeOf(std::string_view submit) {
  CodedInputStream in = Over(submit);
  if (in.ReadTag() != Tag(kEnvelopeField, kLengthDelimited)) return std::nullopt;
  const auto envelope = TakeBytes(in, submit);
  if (!envelope || in.ReadTag() != 0 || !in.ConsumedEntireMessage()) return std::nullopt;
  return envelope;
}

}  // namespace

std::optional<SubmitFrame> FindSubmit(std::string_view frame) {
  if (frame.size() > INT_MAX) return std::nullopt;
  CodedInputStream in = Over(frame);
  SubmitFrame out;
  bool have_id = false, have_submit = false;
  for (uint32_t tag = in.ReadTag(); tag != 0; tag = in.ReadTag()) {
    if (tag == Tag(kRequestIdField, kVarint) && !have_id && !have_submit) {
      if (!in.ReadVarint64(&out.request_id)) return std::nullopt;
      have_id = true;
    } else if (tag == Tag(kSubmitField, kLengthDelimited) && !have_submit) {
      const auto submit = TakeBytes(in, frame);
      if (!submit) return std::nullopt;
      const auto envelope = EnvelopeOf(*submit);
      if (!envelope) return std::nullopt;
      out.envelope = *envelope;
      have_submit = true;
    } else {
      return std::nullopt;  // another request, a field twice, an unknown field: parse it all
    }
  }
  if (!have_submit || !in.ConsumedEntireMessage()) return std::nullopt;
  return out;
}

}  // namespace renrakumo::core
