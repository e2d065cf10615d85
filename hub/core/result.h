// Result<T>: a value or an error sentence. g++ 12 has no std::expected under C++20, so
// control-plane code (start-up, config, journal) returns this instead of throwing.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace renrakumo {

struct Error {
  std::string message;  // a sentence: what failed and what to do
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}                // NOLINT: implicit by design
  Result(Error error) : v_(std::move(error)) {}            // NOLINT: implicit by design
  bool ok() const { return std::holds_alternative<T>(v_); }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &std::get<T>(v_); }
  const T* operator->() const { return &std::get<T>(v_); }
  T& operator*() & { return std::get<T>(v_); }
  const T& operator*() const& { return std::get<T>(v_); }
  T&& operator*() && { return std::get<T>(std::move(v_)); }
  const std::string& error() const { return std::get<Error>(v_).message; }

 private:
  std::variant<T, Error> v_;
};

// Result for operations that return nothing but may fail.
struct Ok {};
using Status = Result<Ok>;

}  // namespace renrakumo
