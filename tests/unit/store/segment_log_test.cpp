// The journal's record log on real files: append, reopen, rotation, the torn tail cut at every
// byte, damage refused, segment deletion, a failed write undone.
#include "store/segment_log.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

namespace renrakumo::store {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

struct Seen {
  RecordRef ref;
  std::string head;
};

class SegmentLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "segment-log-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr) << "cannot create a temp dir";
    root_ = pattern;
    dir_ = (root_ / "journal.db.log").string();
  }
  void TearDown() override { fs::remove_all(root_); }

  // Opens the log, collecting what it visits into seen_ (cleared first).
  Result<std::unique_ptr<SegmentLog>> Open(SegmentLogOptions options = {}) {
    seen_.clear();
    return SegmentLog::Open(
        dir_, options,
        [this](const RecordRef& ref, std::string_view head) {
          seen_.push_back({ref, std::string(head)});
          return Status(Ok{});
        },
        &opened_);
  }

  std::unique_ptr<SegmentLog> MustOpen(SegmentLogOptions options = {}) {
    auto log = Open(options);
    EXPECT_TRUE(log.ok()) << log.error();
    return log.ok() ? std::move(log).value() : nullptr;
  }

  static RecordRef MustAppend(SegmentLog& log, std::string_view head,
                              std::vector<std::string_view> body) {
    auto ref = log.Append(head, body);
    EXPECT_TRUE(ref.ok()) << ref.error();
    return ref.ok() ? *ref : RecordRef{};
  }

  std::string SegmentFile(uint64_t segment) const {
    std::string digits = std::to_string(segment);
    return dir_ + "/" + std::string(20 - digits.size(), '0') + digits + ".seg";
  }

  static std::string ReadFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
  }
  static void WriteFile(const std::string& path, const std::string& bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << bytes;
  }

  fs::path root_;
  std::string dir_;
  std::vector<Seen> seen_;
  SegmentLogOpened opened_;
};

TEST_F(SegmentLogTest, RecordsComeBackInOrderAfterReopen) {
  {
    auto log = MustOpen();
    ASSERT_NE(log, nullptr);
    EXPECT_EQ(log->next_record(), 1u);
    const RecordRef a = MustAppend(*log, "head-a", {"body-", "a1", "", "-a2"});
    const RecordRef b = MustAppend(*log, "", {"only body"});
    const RecordRef c = MustAppend(*log, "head-c", {});
    EXPECT_EQ(a.record, 1u);
    EXPECT_EQ(b.record, 2u);
    EXPECT_EQ(c.record, 3u);
    EXPECT_EQ(a.body_size, 10u);
    std::string out;
    ASSERT_TRUE(log->ReadBody(a, 0, a.body_size, out).ok());
    EXPECT_EQ(out, "body-a1-a2");
    ASSERT_TRUE(log->Sync().ok());
  }
  auto log = MustOpen();
  ASSERT_NE(log, nullptr);
  ASSERT_EQ(seen_.size(), 3u);
  EXPECT_EQ(opened_.records, 3u);
  EXPECT_EQ(opened_.bytes_cut, 0u);
  EXPECT_EQ(seen_[0].head, "head-a");
  EXPECT_EQ(seen_[1].head, "");
  EXPECT_EQ(seen_[2].head, "head-c");
  EXPECT_EQ(seen_[2].ref.record, 3u);
  std::string out;
  ASSERT_TRUE(log->ReadBody(seen_[1].ref, 5, 4, out).ok());
  EXPECT_EQ(out, "body");
  ASSERT_TRUE(log->ReadHead(seen_[0].ref, out).ok());
  EXPECT_EQ(out, "head-a");
  EXPECT_EQ(log->next_record(), 4u);
  EXPECT_EQ(MustAppend(*log, "d", {"d"}).record, 4u);
}

TEST_F(SegmentLogTest, ReadsOutsideARecordAreRefused) {
  auto log = MustOpen();
  ASSERT_NE(log, nullptr);
  const RecordRef a = MustAppend(*log, "h", {"12345"});
  std::string out;
  auto past = log->ReadBody(a, 3, 3, out);
  ASSERT_FALSE(past.ok());
  EXPECT_THAT(past.error(), HasSubstr("outside the 5-byte body of record 1"));
  RecordRef elsewhere = a;
  elsewhere.segment = 7;
  auto gone = log->ReadBody(elsewhere, 0, 1, out);
  ASSERT_FALSE(gone.ok());
  EXPECT_THAT(gone.error(), HasSubstr("no longer kept"));
}

TEST_F(SegmentLogTest, RotatesIntoNewSegmentsAndKeepsNumbering) {
  SegmentLogOptions options;
  options.segment_bytes = 200;
  const std::string body(90, 'x');
  {
    auto log = MustOpen(options);
    ASSERT_NE(log, nullptr);
    for (int i = 0; i < 12; ++i) MustAppend(*log, "r" + std::to_string(i + 1), {body});
    EXPECT_GT(log->current_segment(), 3u);
    EXPECT_TRUE(fs::exists(SegmentFile(2)));
  }
  auto log = MustOpen(options);
  ASSERT_NE(log, nullptr);
  ASSERT_EQ(seen_.size(), 12u);
  for (size_t i = 0; i < seen_.size(); ++i) {
    EXPECT_EQ(seen_[i].ref.record, i + 1);
    EXPECT_EQ(seen_[i].head, "r" + std::to_string(i + 1));
  }
  EXPECT_GT(seen_.back().ref.segment, seen_.front().ref.segment);
  std::string out;
  ASSERT_TRUE(log->ReadBody(seen_[5].ref, 0, body.size(), out).ok());
  EXPECT_EQ(out, body);
}

TEST_F(SegmentLogTest, ATornLastRecordIsCutAtEveryByte) {
  uint64_t whole = 0;
  uint64_t third_starts = 0;
  {
    auto log = MustOpen();
    ASSERT_NE(log, nullptr);
    MustAppend(*log, "one", {"first body"});
    MustAppend(*log, "two", {"second", " body"});
    third_starts = MustAppend(*log, "three", {"third body, a little longer"}).offset;
  }
  const std::string pristine = ReadFile(SegmentFile(1));
  whole = pristine.size();
  ASSERT_GT(whole, third_starts);
  for (uint64_t cut = third_starts; cut < whole; ++cut) {
    WriteFile(SegmentFile(1), pristine.substr(0, cut));
    auto log = Open();
    ASSERT_TRUE(log.ok()) << "cut at " << cut << ": " << log.error();
    ASSERT_EQ(seen_.size(), 2u) << "cut at " << cut;
    EXPECT_EQ(opened_.bytes_cut, cut - third_starts) << "cut at " << cut;
    EXPECT_EQ((*log)->next_record(), 3u);
    EXPECT_EQ(fs::file_size(SegmentFile(1)), third_starts) << "the tail is gone from the file";
  }
  // After a cut the log goes on: record 3 is written again and survives a reopen.
  WriteFile(SegmentFile(1), pristine.substr(0, whole - 1));
  {
    auto log = MustOpen();
    ASSERT_NE(log, nullptr);
    EXPECT_EQ(MustAppend(*log, "three again", {"x"}).record, 3u);
  }
  MustOpen();
  ASSERT_EQ(seen_.size(), 3u);
  EXPECT_EQ(seen_[2].head, "three again");
  EXPECT_EQ(opened_.bytes_cut, 0u);
}

TEST_F(SegmentLogTest, AFlippedByteInTheLastSegmentCutsFromThatRecord) {
  uint64_t second_starts = 0;
  {
    auto log = MustOpen();
    ASSERT_NE(log, nullptr);
    MustAppend(*log, "one", {"body one"});
    second_starts = MustAppend(*log, "two", {"body two"}).offset;
    MustAppend(*log, "three", {"body three"});
  }
  std::string bytes = ReadFile(SegmentFile(1));
  bytes[second_starts + 40 + 3 + 2] ^= 0x20;  // inside record 2's body
  WriteFile(SegmentFile(1), bytes);
  auto log = Open();
  ASSERT_TRUE(log.ok()) << log.error();
  ASSERT_EQ(seen_.size(), 1u);
  EXPECT_EQ(opened_.bytes_cut, bytes.size() - second_starts);
}

TEST_F(SegmentLogTest, DamageInASealedSegmentIsRefused) {
  SegmentLogOptions options;
  options.segment_bytes = 150;
  {
    auto log = MustOpen(options);
    ASSERT_NE(log, nullptr);
    for (int i = 0; i < 6; ++i) MustAppend(*log, "head" + std::to_string(i), {std::string(80, 'b')});
    ASSERT_GT(log->current_segment(), 2u);
  }
  const std::string pristine = ReadFile(SegmentFile(1));
  std::string head_flip = pristine;
  head_flip[32 + 40 + 1] ^= 0x01;  // the first record's head
  WriteFile(SegmentFile(1), head_flip);
  auto refused = Open(options);
  ASSERT_FALSE(refused.ok());
  EXPECT_THAT(refused.error(), HasSubstr("is damaged at offset 32"));
  EXPECT_THAT(refused.error(), HasSubstr("sealed segment"));
  EXPECT_THAT(refused.error(), HasSubstr("Restore the journal from backup"));
  EXPECT_EQ(fs::file_size(SegmentFile(1)), pristine.size()) << "a sealed segment is never cut";

  // A body byte is checked in sealed segments only when asked to (it reads the whole log).
  std::string body_flip = pristine;
  body_flip[32 + 40 + 5 + 10] ^= 0x01;
  WriteFile(SegmentFile(1), body_flip);
  EXPECT_TRUE(Open(options).ok());
  options.verify_bodies = true;
  auto verified = Open(options);
  ASSERT_FALSE(verified.ok());
  EXPECT_THAT(verified.error(), HasSubstr("body does not match its hash"));
}

TEST_F(SegmentLogTest, AMissingOrForeignSegmentIsRefused) {
  SegmentLogOptions options;
  options.segment_bytes = 100;
  {
    auto log = MustOpen(options);
    ASSERT_NE(log, nullptr);
    for (int i = 0; i < 5; ++i) MustAppend(*log, "h", {std::string(70, 'c')});
  }
  WriteFile(dir_ + "/notes.seg", "not a segment");
  auto foreign = Open(options);
  ASSERT_FALSE(foreign.ok());
  EXPECT_THAT(foreign.error(), HasSubstr("notes.seg is not a segment of this log"));
  fs::remove(dir_ + "/notes.seg");
  WriteFile(dir_ + "/README", "other files are left alone");
  ASSERT_TRUE(Open(options).ok());

  fs::remove(SegmentFile(2));
  auto gap = Open(options);
  ASSERT_FALSE(gap.ok());
  EXPECT_THAT(gap.error(), HasSubstr("segment 2 is missing"));
}

TEST_F(SegmentLogTest, ASecondOpenIsRefusedWhileTheFirstHoldsTheLog) {
  auto first = MustOpen();
  ASSERT_NE(first, nullptr);
  auto second = Open();
  ASSERT_FALSE(second.ok());
  EXPECT_THAT(second.error(), HasSubstr("is open in another process"));
  first.reset();
  EXPECT_TRUE(Open().ok());
}

TEST_F(SegmentLogTest, DeletingOldSegmentsKeepsTheRestAndTheNumbering) {
  SegmentLogOptions options;
  options.segment_bytes = 120;
  RecordRef early;
  {
    auto log = MustOpen(options);
    ASSERT_NE(log, nullptr);
    early = MustAppend(*log, "first", {std::string(60, 'd')});
    for (int i = 0; i < 7; ++i) MustAppend(*log, "h", {std::string(60, 'd')});
    const uint64_t current = log->current_segment();
    ASSERT_GE(current, 4u);
    auto deleted = log->DeleteSegmentsBefore(3);
    ASSERT_TRUE(deleted.ok()) << deleted.error();
    EXPECT_EQ(*deleted, 2u);
    EXPECT_EQ(log->first_segment(), 3u);
    std::string out;
    EXPECT_FALSE(log->ReadBody(early, 0, 1, out).ok());
    // The current segment is never deleted, whatever is asked.
    auto all = log->DeleteSegmentsBefore(current + 10);
    ASSERT_TRUE(all.ok());
    EXPECT_EQ(log->first_segment(), current);
    EXPECT_TRUE(fs::exists(SegmentFile(current)));
  }
  auto log = MustOpen(options);
  ASSERT_NE(log, nullptr);
  EXPECT_EQ(log->next_record(), 9u);
  EXPECT_EQ(MustAppend(*log, "next", {"x"}).record, 9u);
}

TEST_F(SegmentLogTest, ASegmentCutShortWhileBeingCreatedIsMadeAgain) {
  SegmentLogOptions options;
  options.segment_bytes = 100;
  {
    auto log = MustOpen(options);
    ASSERT_NE(log, nullptr);
    for (int i = 0; i < 3; ++i) MustAppend(*log, "h", {std::string(70, 'e')});
  }
  const uint64_t last = [&] {
    uint64_t n = 1;
    while (fs::exists(SegmentFile(n + 1))) ++n;
    return n;
  }();
  WriteFile(SegmentFile(last + 1), "RNRK");  // a header half written, then the crash
  auto log = MustOpen(options);
  ASSERT_NE(log, nullptr);
  EXPECT_EQ(seen_.size(), 3u);
  EXPECT_EQ(opened_.bytes_cut, 4u);
  EXPECT_EQ(log->current_segment(), last + 1);
  EXPECT_EQ(MustAppend(*log, "after", {"f"}).record, 4u);
  log.reset();
  MustOpen(options);
  EXPECT_EQ(seen_.size(), 4u);
}

TEST_F(SegmentLogTest, AVisitErrorStopsTheOpen) {
  {
    auto log = MustOpen();
    ASSERT_NE(log, nullptr);
    MustAppend(*log, "a", {"1"});
    MustAppend(*log, "b", {"2"});
  }
  int visited = 0;
  auto log = SegmentLog::Open(dir_, {}, [&](const RecordRef&, std::string_view head) -> Status {
    ++visited;
    if (head == "a") return Error{"record a does not parse"};
    return Ok{};
  });
  ASSERT_FALSE(log.ok());
  EXPECT_EQ(log.error(), "record a does not parse");
  EXPECT_EQ(visited, 1);
}

TEST_F(SegmentLogTest, SyncRunsOnAnotherThreadWhileAppendsRotate) {
  SegmentLogOptions options;
  options.segment_bytes = 4096;
  auto log = MustOpen(options);
  ASSERT_NE(log, nullptr);
  std::atomic<bool> done{false};
  std::atomic<int> sync_failures{0};
  std::atomic<int> syncs{0};
  std::thread syncer([&] {
    while (!done.load()) {
      if (!log->Sync().ok()) ++sync_failures;
      ++syncs;
    }
  });
  const std::string body(500, 's');
  for (int i = 0; i < 200; ++i) MustAppend(*log, std::to_string(i), {body});
  done = true;
  syncer.join();
  EXPECT_EQ(sync_failures.load(), 0);
  EXPECT_GT(syncs.load(), 0);
  EXPECT_GT(log->current_segment(), 10u);
  log.reset();
  MustOpen(options);
  ASSERT_EQ(seen_.size(), 200u);
  EXPECT_EQ(seen_.back().head, "199");
}

// A write that fails half way (here: the file size limit, as a full disk would) leaves nothing
// of the record in the file, and the log goes on once there is room.
TEST_F(SegmentLogTest, AFailedWriteLeavesNothingBehind) {
  auto log = MustOpen();
  ASSERT_NE(log, nullptr);
  const RecordRef first = MustAppend(*log, "fits", {"small"});
  const uint64_t end = first.offset + 40 + 4 + 5;
  ASSERT_EQ(fs::file_size(SegmentFile(1)), end);

  struct sigaction ignore{};
  ignore.sa_handler = SIG_IGN;
  struct sigaction before{};
  ASSERT_EQ(sigaction(SIGXFSZ, &ignore, &before), 0);
  rlimit saved{};
  ASSERT_EQ(getrlimit(RLIMIT_FSIZE, &saved), 0);
  rlimit limited = saved;
  limited.rlim_cur = end + 60;  // room for the header and part of the next record only
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &limited), 0);
  const std::string big(200, 'g');
  const std::vector<std::string_view> body{big};
  auto failed = log->Append("too big", body);
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &saved), 0);
  ASSERT_EQ(sigaction(SIGXFSZ, &before, nullptr), 0);

  ASSERT_FALSE(failed.ok());
  EXPECT_THAT(failed.error(), HasSubstr("cannot write record 2"));
  EXPECT_EQ(fs::file_size(SegmentFile(1)), end) << "the partial record was removed";
  EXPECT_EQ(log->next_record(), 2u);
  EXPECT_EQ(MustAppend(*log, "then", {"room"}).record, 2u);
  log.reset();
  MustOpen();
  ASSERT_EQ(seen_.size(), 2u);
  EXPECT_EQ(seen_[1].head, "then");
  EXPECT_EQ(opened_.bytes_cut, 0u);
}

}  // namespace
}  // namespace renrakumo::store
