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

}  // namespace
}  // namespace renrakumo::testing
