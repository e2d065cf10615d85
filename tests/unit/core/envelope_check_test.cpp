#include "core/envelope_check.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "fixture.h"

namespace renrakumo::testing {
namespace {

using ::testing::HasSubstr;

void ExpectInvalid(const v1::Envelope& env, const char* words) {
  auto bad = core::CheckEnvelope(env);
  ASSERT_TRUE(bad.has_value()) << "expected a rejection mentioning " << words;
  EXPECT_EQ(bad->code, v1::REJECT_INVALID_FIELD);
  EXPECT_THAT(bad->reason, HasSubstr(words));
}

TEST(EnvelopeCheck, AWellFormedReportPasses) {
  EXPECT_FALSE(core::CheckEnvelope(Report("m-1")).has_value());
}

TEST(EnvelopeCheck, MessageIdMustBeWellFormed) {
  ExpectInvalid(Report(""), "message_id");
  ExpectInvalid(Report("has space"), "message_id");
  ExpectInvalid(Report(std::string(65, 'x')), "message_id");
  EXPECT_TRUE(core::IsWellFormedId(std::string(64, 'x')));
}

TEST(EnvelopeCheck, EveryMessageCarriesATlpMarking) {
  auto env = Report("m-1");
  env.set_tlp(v1::TLP_UNSPECIFIED);
  ExpectInvalid(env, "tlp");
}

TEST(EnvelopeCheck, ReportNeedsMatrixCellPhaseAndSystem) {
  auto env = Report("m-1");
  env.mutable_report()->set_situation(v1::SITUATION_UNSPECIFIED);
  ExpectInvalid(env, "situation");
  env = Report("m-1");
  env.mutable_report()->set_likelihood(v1::LIKELIHOOD_UNSPECIFIED);
  ExpectInvalid(env, "likelihood");
  env = Report("m-1");
  env.mutable_report()->set_phase(v1::PHASE_UNSPECIFIED);
  ExpectInvalid(env, "phase");
  env = Report("m-1");
  env.mutable_report()->set_affected_system("");
  ExpectInvalid(env, "affected_system");
}

TEST(EnvelopeCheck, AdvisoryAudienceMustBeExactlyOneKind) {
  auto env = Advisory({});
  ExpectInvalid(env, "exactly one");
  env = Advisory({"telecom"});
  env.mutable_advisory()->mutable_audience()->set_everyone(true);
  ExpectInvalid(env, "exactly one");
}

TEST(EnvelopeCheck, UpdatesNameWhatTheyReplace) {
  auto env = Advisory({"telecom"});
  env.mutable_advisory()->set_lifecycle(v1::LIFECYCLE_CANCEL);
  ExpectInvalid(env, "replaces");
}

TEST(EnvelopeCheck, TextLimitsAreEnforced) {
  auto env = Advisory({"telecom"});
  env.mutable_advisory()->set_body(std::string(core::kMaxTextLength + 1, 'x'));
  ExpectInvalid(env, "limit");
}

TEST(EnvelopeCheck, EmptyBodyIsRefused) {
  v1::Envelope env;
  env.set_message_id("m-1");
  env.set_tlp(v1::TLP_CLEAR);
  ExpectInvalid(env, "no body");
}

TEST(EnvelopeCheck, UnknownEnumNumbersAreRefused) {
  auto env = Report("m-1");
  env.mutable_report()->set_situation(static_cast<v1::Situation>(42));
  ExpectInvalid(env, "report.situation has the value 42");
  env = Report("m-1");
  env.mutable_report()->add_evidence(static_cast<v1::Evidence>(99));
  ExpectInvalid(env, "report.evidence");
  env = Report("m-1");
  env.set_status(static_cast<v1::MessageStatus>(7));
  ExpectInvalid(env, "status");
}

TEST(EnvelopeCheck, TimesFarAheadOrLongPastAreRefused) {
  const int64_t now = 1'800'000'000'000;
  auto env = Report("m-1");
  env.set_created_at_ms(now);
  EXPECT_FALSE(core::CheckTimes(env, now));
  env.set_created_at_ms(now + core::kMaxClockSkewMs + 60'000);
  ASSERT_TRUE(core::CheckTimes(env, now));
  EXPECT_THAT(core::CheckTimes(env, now)->reason, HasSubstr("ahead of the hub's clock"));
  env.set_created_at_ms(now - core::kMaxMessageAgeMs - 1);
  EXPECT_THAT(core::CheckTimes(env, now)->reason, HasSubstr("30 days"));
  env.set_created_at_ms(0);  // not given: fine
  env.mutable_report()->set_detected_at_ms(now + 3'600'000);
  EXPECT_THAT(core::CheckTimes(env, now)->reason, HasSubstr("report.detected_at"));
  env.mutable_report()->set_detected_at_ms(0);
  env.mutable_report()->set_recovered_at_ms(now + 3'600'000);  // expected recovery: fine
  EXPECT_FALSE(core::CheckTimes(env, now));
  auto advisory = Advisory({"telecom"});
  advisory.mutable_advisory()->set_expires_at_ms(now - 1);
  EXPECT_THAT(core::CheckTimes(advisory, now)->reason, HasSubstr("expired"));
}

}  // namespace
}  // namespace renrakumo::testing
