// What the journal records beside messages: acknowledgements (the highest state per node),
// relays of a message, and stream cursors that never move backwards.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <tuple>
#include <vector>

#include <sodium.h>
#include <sqlite3.h>

#include "journal_fixture.h"

namespace renrakumo::store::testing {
namespace {

using core::Acknowledgement;
using core::Commit;
using core::Cursor;
using core::MessageRef;

constexpr int kReceived = 1;
constexpr int kRead = 2;
constexpr int kActedOn = 3;

const MessageRef kAdvisory{"node.nisc", "adv-1"};

// An acknowledgement message from node about kAdvisory.
Commit AckCommit(const std::string& node, const std::string& id, int state, int64_t at_ms,
                 const std::string& comment) {
  Commit commit = MakeCommit(node, id, {});
  commit.kind = "acknowledgement";
  commit.ack = Acknowledgement{kAdvisory, node, state, at_ms, comment};
  return commit;
}

using AckRow = std::tuple<std::string, int, int64_t, std::string>;
std::vector<AckRow> AckRows(const std::vector<Acknowledgement>& acks) {
  std::vector<AckRow> rows;
  for (const auto& a : acks) {
    EXPECT_EQ(a.message.sender, kAdvisory.sender);
    EXPECT_EQ(a.message.message_id, kAdvisory.message_id);
    rows.emplace_back(a.node, a.state, a.at_ms, a.comment);
  }
  return rows;
}

using Ref = std::pair<std::string, std::string>;
std::vector<Ref> Refs(const std::vector<MessageRef>& refs) {
  std::vector<Ref> pairs;
  for (const auto& r : refs) pairs.emplace_back(r.sender, r.message_id);
  return pairs;
}

using CursorRow = std::pair<std::string, uint64_t>;
std::vector<CursorRow> CursorRows(const std::vector<Cursor>& cursors,
                                  const std::string& stream) {
  std::vector<CursorRow> rows;
  for (const auto& c : cursors) {
    EXPECT_EQ(c.stream, stream);
    rows.emplace_back(c.node, c.seq);
  }
  return rows;
}

class JournalRecordsTest : public JournalTest {
 protected:
  void SetUp() override {
    JournalTest::SetUp();
    journal_ = Open();
    ASSERT_TRUE(journal_);
    Commit advisory = MakeCommit(kAdvisory.sender, kAdvisory.message_id,
                                 {"node.x.", "node.y.", "node.z."});
    advisory.kind = "advisory";
    Append({advisory});
  }

  void Append(const std::vector<Commit>& batch) {
    auto positions = journal_->Append(batch);
    ASSERT_TRUE(positions.ok()) << positions.error();
  }

  std::vector<AckRow> Acks() {
    auto acks = journal_->AcknowledgementsOf(kAdvisory);
    EXPECT_TRUE(acks.ok()) << acks.error();
    return acks.ok() ? AckRows(acks.value()) : std::vector<AckRow>{};
  }

  std::vector<CursorRow> CursorsOn(const std::string& stream) {
    auto cursors = journal_->CursorsOn(stream);
    EXPECT_TRUE(cursors.ok()) << cursors.error();
    return cursors.ok() ? CursorRows(cursors.value(), stream) : std::vector<CursorRow>{};
  }

  core::JournalPtr journal_;
};

// The audit chain's format, checked against an independent SHA-256 (libsodium's; the store
// hashes with OpenSSL): each hash covers the previous one, then seq, at_ms, actor, action,
// subject and detail, each followed by a NUL. Journals written before keep verifying.
TEST_F(JournalRecordsTest, AnAuditEntrysHashIsSha256OfThePreviousHashAndItsFields) {
  const std::vector<core::AuditEntry> audit{
      {1700000000000, "hub", "accepted", "1 message", "report 'm1' from node.a"},
      {1700000000001, "hub", "reload", "rules", "rules.yaml"}};
  ASSERT_TRUE(journal_->Append(std::vector<core::Commit>{}, audit).ok());
  journal_.reset();  // closed: the log engine's copy into SQLite is complete
  std::vector<std::pair<std::string, std::string>> rows;  // prev_hash, hash
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* query = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT prev_hash, hash FROM audit ORDER BY seq", -1, &query,
                               nullptr),
            SQLITE_OK);
  auto blob = [&](int column) {
    return std::string(static_cast<const char*>(sqlite3_column_blob(query, column)),
                       static_cast<size_t>(sqlite3_column_bytes(query, column)));
  };
  while (sqlite3_step(query) == SQLITE_ROW) rows.emplace_back(blob(0), blob(1));
  sqlite3_finalize(query);
  sqlite3_close(db);
  ASSERT_EQ(rows.size(), 2u);
  auto sha256 = [](const std::string& text) {
    unsigned char out[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(out, reinterpret_cast<const unsigned char*>(text.data()), text.size());
    return std::string(reinterpret_cast<const char*>(out), sizeof out);
  };
  using namespace std::string_literals;
  const std::string first = sha256("1\0"s "1700000000000\0"s "hub\0"s "accepted\0"s
                                   "1 message\0"s "report 'm1' from node.a\0"s);
  EXPECT_EQ(rows[0].first, "");
  EXPECT_EQ(rows[0].second, first);
  EXPECT_EQ(rows[1].first, first);
  EXPECT_EQ(rows[1].second,
            sha256(first + "2\0"s "1700000000001\0"s "hub\0"s "reload\0"s "rules\0"s "rules.yaml\0"s));
}

TEST_F(JournalRecordsTest, AnAcknowledgementKeepsTheHighestStateWithItsTimeAndComment) {
  Append({AckCommit("node.x", "a1", kReceived, 100, "got it")});
  EXPECT_EQ(Acks(), (std::vector<AckRow>{{"node.x", kReceived, 100, "got it"}}));
  Append({AckCommit("node.x", "a2", kActedOn, 300, "patched")});
  EXPECT_EQ(Acks(), (std::vector<AckRow>{{"node.x", kActedOn, 300, "patched"}}));
  // A late "read" (lower) and a repeated "acted on" (equal) change nothing.
  Append({AckCommit("node.x", "a3", kRead, 400, "late"),
          AckCommit("node.x", "a4", kActedOn, 500, "again")});
  EXPECT_EQ(Acks(), (std::vector<AckRow>{{"node.x", kActedOn, 300, "patched"}}));
  // The acknowledgement messages themselves are stored like any other.
  EXPECT_TRUE(journal_->Find("node.x", "a3").has_value());
}

TEST_F(JournalRecordsTest, AcknowledgementsOfListsOneLatestAnswerPerNode) {
  Append({AckCommit("node.y", "y1", kReceived, 100, ""),
          AckCommit("node.x", "x1", kRead, 110, "reading"),
          AckCommit("node.y", "y2", kRead, 120, "")});
  Append({AckCommit("node.z", "z1", kReceived, 130, "")});
  EXPECT_EQ(Acks(), (std::vector<AckRow>{{"node.x", kRead, 110, "reading"},
                                         {"node.y", kRead, 120, ""},
                                         {"node.z", kReceived, 130, ""}}));
  auto other = journal_->AcknowledgementsOf({"node.nisc", "adv-2"});
  ASSERT_TRUE(other.ok()) << other.error();
  EXPECT_TRUE(other.value().empty());
}

TEST_F(JournalRecordsTest, AcknowledgementsAndRelaysSurviveReopening) {
  Commit relay = MakeCommit("assoc.finance", "r1", {"sector.finance."});
  relay.kind = "relay";
  relay.relay_of = kAdvisory;
  Append({AckCommit("node.x", "x1", kActedOn, 100, "done"), relay});
  journal_.reset();
  journal_ = Open();
  ASSERT_TRUE(journal_);
  EXPECT_EQ(Acks(), (std::vector<AckRow>{{"node.x", kActedOn, 100, "done"}}));
  EXPECT_EQ(Refs(journal_->RelaysOf(kAdvisory).value()),
            (std::vector<Ref>{{"assoc.finance", "r1"}}));
}

TEST_F(JournalRecordsTest, RelaysOfListsEveryRelayOfTheMessage) {
  Commit other = MakeCommit("node.nisc", "adv-2", {"all."});
  Append({other});
  auto relay = [](const std::string& sender, const std::string& id, const MessageRef& of) {
    Commit commit = MakeCommit(sender, id, {"sector." + sender + "."});
    commit.kind = "relay";
    commit.relay_of = of;
    return commit;
  };
  Append({relay("assoc.telecom", "t1", kAdvisory), relay("assoc.finance", "f1", kAdvisory)});
  Append({relay("assoc.finance", "f2", {"node.nisc", "adv-2"})});
  EXPECT_EQ(Refs(journal_->RelaysOf(kAdvisory).value()),
            (std::vector<Ref>{{"assoc.finance", "f1"}, {"assoc.telecom", "t1"}}));
  EXPECT_EQ(Refs(journal_->RelaysOf({"node.nisc", "adv-2"}).value()),
            (std::vector<Ref>{{"assoc.finance", "f2"}}));
  EXPECT_TRUE(journal_->RelaysOf({"assoc.finance", "f1"}).value().empty());
}

TEST_F(JournalRecordsTest, AFailedBatchRecordsNoAcknowledgementAndNoRelay) {
  Commit relay = MakeCommit("assoc.finance", "r1", {"sector.finance."});
  relay.relay_of = kAdvisory;
  const std::vector<Commit> bad{AckCommit("node.x", "x1", kRead, 100, ""), relay,
                                MakeCommit(kAdvisory.sender, kAdvisory.message_id, {})};
  ASSERT_FALSE(journal_->Append(bad).ok());
  EXPECT_TRUE(Acks().empty());
  EXPECT_TRUE(journal_->RelaysOf(kAdvisory).value().empty());
}

TEST_F(JournalRecordsTest, CursorsNeverMoveBackwards) {
  const std::vector<Cursor> first{{"node.x", "node.x.", 1}, {"node.y", "node.y.", 1}};
  ASSERT_TRUE(journal_->SetCursors(first).ok());
  const std::vector<Cursor> back{{"node.x", "node.x.", 0}};
  ASSERT_TRUE(journal_->SetCursors(back).ok());
  EXPECT_EQ(CursorsOn("node.x."), (std::vector<CursorRow>{{"node.x", 1}}));

  std::vector<Commit> more;
  for (int i = 0; i < 5; ++i) more.push_back(MakeCommit("node.a", std::to_string(i), {"all."}));
  Append(more);
  // Within one call too: the highest wins, whatever the order.
  const std::vector<Cursor> mixed{{"node.x", "all.", 4}, {"node.x", "all.", 2},
                                  {"node.y", "all.", 5}, {"node.z", "all.", 0}};
  ASSERT_TRUE(journal_->SetCursors(mixed).ok());
  EXPECT_EQ(CursorsOn("all."),
            (std::vector<CursorRow>{{"node.x", 4}, {"node.y", 5}, {"node.z", 0}}));
  const std::vector<Cursor> forward{{"node.x", "all.", 5}, {"node.y", "all.", 3}};
  ASSERT_TRUE(journal_->SetCursors(forward).ok());
  EXPECT_EQ(CursorsOn("all."),
            (std::vector<CursorRow>{{"node.x", 5}, {"node.y", 5}, {"node.z", 0}}));
  EXPECT_EQ(CursorsOn("node.y."), (std::vector<CursorRow>{{"node.y", 1}}));
  EXPECT_TRUE(CursorsOn("node.none.").empty());
  EXPECT_TRUE(journal_->SetCursors({}).ok());

  journal_.reset();
  journal_ = Open();
  ASSERT_TRUE(journal_);
  EXPECT_EQ(CursorsOn("all."),
            (std::vector<CursorRow>{{"node.x", 5}, {"node.y", 5}, {"node.z", 0}}));
}

TEST_F(JournalRecordsTest, RefusesACursorBeyondTheEndOfItsStreamAndStoresNoneOfTheCall) {
  const std::vector<Cursor> cursors{{"node.x", "node.x.", 1}, {"node.y", "node.y.", 2}};
  auto status = journal_->SetCursors(cursors);
  ASSERT_FALSE(status.ok());
  EXPECT_THAT(status.error(),
              ::testing::HasSubstr("journal " + path_ + ": cannot record that node node.y "
                                   "processed stream node.y. up to sequence 2: the stream ends "
                                   "at 1 (none of the 2 cursors was stored)"));
  EXPECT_TRUE(CursorsOn("node.x.").empty());
  EXPECT_TRUE(CursorsOn("node.y.").empty());
}

}  // namespace
}  // namespace renrakumo::store::testing
