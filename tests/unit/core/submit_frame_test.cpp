// The Submit fast path reads exactly what the full IngestRequest parse reads, and declines
// (nullopt: the hub then parses in full) whatever is not the plain encoding.
#include "core/submit_frame.h"

#include <gtest/gtest.h>

#include <string>

#include "renrakumo/v1/wire.pb.h"

namespace renrakumo::core {
namespace {

std::string SubmitRequest(uint64_t request_id, const std::string& envelope) {
  v1::IngestRequest req;
  req.set_request_id(request_id);
  req.mutable_submit()->set_envelope(envelope);
  return req.SerializeAsString();
}

std::string Envelope(size_t padding) {
  v1::Envelope env;
  env.set_message_id("m-1");
  env.mutable_report()->set_narrative(std::string(padding, 'x'));
  return env.SerializeAsString();
}

TEST(SubmitFrame, ReadsTheRequestIdAndTheEnvelopeBytesInPlace) {
  for (size_t padding : {0, 100, 1000, 70000}) {  // envelope lengths of 1 to 3 varint bytes
    const std::string envelope = Envelope(padding);
    const std::string frame = SubmitRequest(123456789012345ULL, envelope);
    const auto found = FindSubmit(frame);
    ASSERT_TRUE(found.has_value()) << padding;
    EXPECT_EQ(found->request_id, 123456789012345ULL);
    EXPECT_EQ(found->envelope, envelope);
    EXPECT_GE(found->envelope.data(), frame.data());  // a view into the frame, not a copy
    EXPECT_LE(found->envelope.data() + found->envelope.size(), frame.data() + frame.size());
  }
}

TEST(SubmitFrame, ARequestIdOfZeroIsNotOnTheWire) {
  const auto found = FindSubmit(SubmitRequest(0, Envelope(10)));
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->request_id, 0u);
}

TEST(SubmitFrame, DeclinesOtherRequests) {
  v1::IngestRequest ping;
  ping.set_request_id(1);
  ping.mutable_ping()->set_sent_at_ms(5);
  EXPECT_FALSE(FindSubmit(ping.SerializeAsString()).has_value());
  v1::IngestRequest fetch;
  fetch.mutable_fetch()->set_stream("node.fsa.");
  EXPECT_FALSE(FindSubmit(fetch.SerializeAsString()).has_value());
  EXPECT_FALSE(FindSubmit("").has_value());
}

TEST(SubmitFrame, DeclinesWhatOnlyTheFullParseReadsRight) {
  const std::string plain = SubmitRequest(9, Envelope(10));
  // Submit twice: protobuf merges the two, the last envelope wins.
  const std::string twice = plain + SubmitRequest(0, Envelope(20));
  // An empty Submit (no envelope field) and a Submit with a field it does not know.
  v1::IngestRequest empty;
  empty.set_request_id(9);
  empty.mutable_submit();
  v1::Submit with_unknown;
  with_unknown.set_envelope(Envelope(10));
  v1::IngestRequest unknown_in_submit;
  unknown_in_submit.set_request_id(9);
  if (!unknown_in_submit.mutable_submit()->ParseFromString(with_unknown.SerializeAsString() +
                                                           std::string("\x98\x06\x01", 3)))
    FAIL() << "could not build a Submit with an unknown field";
  // An unknown field (number 99, varint) after the request.
  const std::string unknown_after = plain + std::string("\x98\x06\x01", 3);
  // The request id after the submit.
  v1::IngestRequest id_only;
  id_only.set_request_id(9);
  v1::IngestRequest submit_only;
  submit_only.mutable_submit()->set_envelope(Envelope(10));
  const std::string id_last = submit_only.SerializeAsString() + id_only.SerializeAsString();
  for (const std::string& frame :
       {twice, empty.SerializeAsString(), unknown_in_submit.SerializeAsString(), unknown_after,
       id_last}) {
    EXPECT_FALSE(FindSubmit(frame).has_value());
    v1::IngestRequest full;
    EXPECT_TRUE(full.ParseFromString(frame));  // the hub still reads them, the slow way
    EXPECT_TRUE(full.has_submit());
  }
}

TEST(SubmitFrame, DeclinesTruncatedAndDamagedFrames) {
  const std::string plain = SubmitRequest(9, Envelope(300));
  for (size_t cut = 1; cut < plain.size(); cut += 7)
    EXPECT_FALSE(FindSubmit(plain.substr(0, cut)).has_value()) << cut;
  std::string longer = plain;
  longer[3] = static_cast<char>(0x7f);  // the submit's length now runs past the frame
  EXPECT_FALSE(FindSubmit(longer).has_value());
}

}  // namespace
}  // namespace renrakumo::core
