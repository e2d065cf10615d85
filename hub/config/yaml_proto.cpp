// Walks a yaml-cpp tree alongside a message descriptor. Every rejection is one sentence with
// the position and key path, because the person reading it is editing that file right now.
#include "config/yaml_proto.h"

#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <optional>
#include <sstream>
#include <type_traits>
#include <vector>

#include <google/protobuf/descriptor.h>
#include <yaml-cpp/yaml.h>

namespace renrakumo::config {
namespace {

namespace pb = google::protobuf;
using FD = pb::FieldDescriptor;

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// The prefix protobuf style puts on enum values: NodeKind -> "NODE_KIND_".
std::string EnumPrefix(const pb::EnumDescriptor& e) {
  std::string out;
  const std::string& name = e.name();
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool upper = c >= 'A' && c <= 'Z';
    if (upper && i > 0 && !(name[i - 1] >= 'A' && name[i - 1] <= 'Z')) out += '_';
    out += upper ? c : static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
  }
  return out + "_";
}

// How a value is written in YAML: ADVISORY_PATH_VIA_ASSOCIATION -> via_association.
std::string ShortName(const pb::EnumValueDescriptor& v) {
  const std::string prefix = EnumPrefix(*v.type());
  const std::string& name = v.name();
  if (name.size() > prefix.size() && name.compare(0, prefix.size(), prefix) == 0) {
    return Lower(name.substr(prefix.size()));
  }
  return Lower(name);
}

// The zero value of our enums means "not set"; writing it out in a file is never intended.
bool IsPlaceholder(const pb::EnumValueDescriptor& v) {
  const std::string& n = v.name();
  const std::string suffix = "_UNSPECIFIED";
  return v.number() == 0 && n.size() >= suffix.size() &&
         n.compare(n.size() - suffix.size(), suffix.size(), suffix) == 0;
}

const pb::EnumValueDescriptor* FindEnumValue(const pb::EnumDescriptor& e,
                                             const std::string& text) {
  const std::string want = Lower(text);
  for (int i = 0; i < e.value_count(); ++i) {
    const pb::EnumValueDescriptor* v = e.value(i);
    if (IsPlaceholder(*v)) continue;
    if (ShortName(*v) == want || Lower(v->name()) == want) return v;
  }
  return nullptr;
}

std::string EnumChoices(const pb::EnumDescriptor& e) {
  std::string out;
  for (int i = 0; i < e.value_count(); ++i) {
    if (IsPlaceholder(*e.value(i))) continue;
    out += (out.empty() ? "" : ", ") + ShortName(*e.value(i));
  }
  return out;
}

std::string KnownKeys(const pb::Descriptor& d) {
  std::string out;
  for (int i = 0; i < d.field_count(); ++i) out += (i ? ", " : "") + d.field(i)->name();
  return out;
}

std::string Describe(const YAML::Node& n) {
  if (n.IsMap()) return "a map";
  if (n.IsSequence()) return "a list";
  if (n.IsScalar()) return "'" + n.Scalar() + "'";
  return "nothing";
}

std::optional<bool> ParseBool(const std::string& text) {
  const std::string t = Lower(text);
  if (t == "true") return true;
  if (t == "false") return false;
  return std::nullopt;
}

// Returns why `text` is not a T, or an empty string when *out was set.
template <typename T>
std::string ParseNumber(const std::string& text, T* out) {
  if constexpr (std::is_unsigned_v<T>) {
    if (!text.empty() && text[0] == '-') {
      return "expected a whole number of 0 or more, got '" + text + "'";
    }
  }
  const char* begin = text.data();
  const char* end = begin + text.size();
  if (begin != end && *begin == '+') ++begin;
  const auto [stop, ec] = std::from_chars(begin, end, *out);
  if (ec == std::errc::result_out_of_range) {
    std::ostringstream range;
    range << "value '" << text << "' is out of range (" << +std::numeric_limits<T>::lowest()
          << " to " << +std::numeric_limits<T>::max() << ")";
    return range.str();
  }
  if (ec != std::errc() || stop != end || begin == end) {
    return std::is_integral_v<T> ? "expected a whole number, got '" + text + "'"
                                 : "expected a number, got '" + text + "'";
  }
  return {};
}

class Walker {
 public:
  explicit Walker(std::string file) : file_(std::move(file)) {}

  Status Message(const YAML::Node& node, const std::string& path, pb::Message* msg) const {
    if (node.IsNull()) return Ok{};
    if (!node.IsMap()) return Fail(node, path, "expected a map of keys, got " + Describe(node));
    const pb::Descriptor& desc = *msg->GetDescriptor();
    std::map<std::string, YAML::Mark> seen;
    for (auto it = node.begin(); it != node.end(); ++it) {
      // Copies: yaml-cpp's iterator hands out a proxy that dies with the expression.
      const YAML::Node key = it->first;
      const YAML::Node value = it->second;
      if (!key.IsScalar()) return Fail(key, path, "a key must be a plain name, got " + Describe(key));
      const std::string& name = key.Scalar();
      const auto [first, fresh] = seen.emplace(name, key.Mark());
      if (!fresh) {
        return Fail(key, path, "duplicate key '" + name + "' (first at line " +
                                   std::to_string(first->second.line + 1) + ")");
      }
      const FD* field = desc.FindFieldByName(name);
      if (field == nullptr) {
        return Fail(key, path,
                    "unknown key '" + name + "' (known keys: " + KnownKeys(desc) + ")");
      }
      Status s = Field(value, path.empty() ? name : path + "." + name, msg, field);
      if (!s) return s;
    }
    return Ok{};
  }

 private:
  Error Fail(const YAML::Node& at, const std::string& path, const std::string& what) const {
    const YAML::Mark mark = at.Mark();
    std::string where = file_;
    if (mark.line >= 0) {
      where += ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1);
    }
    return Error{where + ": " + (path.empty() ? "" : path + ": ") + what};
  }

  Status Field(const YAML::Node& value, const std::string& path, pb::Message* msg,
               const FD* field) const {
    if (field->is_map()) return Fail(value, path, "map fields cannot be written in YAML yet");
    if (!field->is_repeated()) return Element(value, path, msg, field);
    if (value.IsNull()) return Ok{};  // `key:` with nothing after it is an empty list
    if (!value.IsSequence()) {
      std::string what = "expected a list, got " + Describe(value);
      if (value.IsScalar()) what += " (write [" + value.Scalar() + "] for a list of one)";
      return Fail(value, path, what);
    }
    std::size_t index = 0;
    for (auto it = value.begin(); it != value.end(); ++it, ++index) {
      const std::string item = path + "[" + std::to_string(index) + "]";
      const YAML::Node element = *it;
      if (element.IsNull()) return Fail(element, item, "empty list item");
      Status s = Element(element, item, msg, field);
      if (!s) return s;
    }
    return Ok{};
  }

  // One value of `field`: the field itself when singular, a new item when repeated.
  Status Element(const YAML::Node& value, const std::string& path, pb::Message* msg,
                 const FD* field) const {
    const pb::Reflection& r = *msg->GetReflection();
    if (field->cpp_type() == FD::CPPTYPE_MESSAGE) {
      if (value.IsNull()) return Ok{};
      return Message(value, path,
                     field->is_repeated() ? r.AddMessage(msg, field) : r.MutableMessage(msg, field));
    }
    if (value.IsNull()) return Ok{};  // `key:` alone leaves the default
    if (!value.IsScalar()) {
      return Fail(value, path, "expected a single value, got " + Describe(value));
    }
    std::string why = SetScalar(value.Scalar(), msg, field);
    return why.empty() ? Status(Ok{}) : Status(Fail(value, path, why));
  }

  template <typename T, typename Set, typename Add>
  static std::string SetNumber(const std::string& text, pb::Message* msg, const FD* field,
                               Set set, Add add) {
    T v{};
    std::string why = ParseNumber(text, &v);
    if (!why.empty()) return why;
    const pb::Reflection& r = *msg->GetReflection();
    field->is_repeated() ? (r.*add)(msg, field, v) : (r.*set)(msg, field, v);
    return {};
  }

  // Returns why `text` does not fit `field`, or an empty string once it is stored.
  static std::string SetScalar(const std::string& text, pb::Message* msg, const FD* field) {
    const pb::Reflection& r = *msg->GetReflection();
    const bool rep = field->is_repeated();
    switch (field->cpp_type()) {
      case FD::CPPTYPE_STRING:
        rep ? r.AddString(msg, field, text) : r.SetString(msg, field, text);
        return {};
      case FD::CPPTYPE_BOOL: {
        const std::optional<bool> b = ParseBool(text);
        if (!b) return "expected true or false, got '" + text + "'";
        rep ? r.AddBool(msg, field, *b) : r.SetBool(msg, field, *b);
        return {};
      }
      case FD::CPPTYPE_ENUM: {
        const pb::EnumValueDescriptor* v = FindEnumValue(*field->enum_type(), text);
        if (v == nullptr) {
          return "unknown value '" + text + "' (one of: " + EnumChoices(*field->enum_type()) + ")";
        }
        rep ? r.AddEnum(msg, field, v) : r.SetEnum(msg, field, v);
        return {};
      }
      case FD::CPPTYPE_INT32:
        return SetNumber<pb::int32>(text, msg, field, &pb::Reflection::SetInt32,
                                    &pb::Reflection::AddInt32);
      case FD::CPPTYPE_INT64:
        return SetNumber<pb::int64>(text, msg, field, &pb::Reflection::SetInt64,
                                    &pb::Reflection::AddInt64);
      case FD::CPPTYPE_UINT32:
        return SetNumber<pb::uint32>(text, msg, field, &pb::Reflection::SetUInt32,
                                     &pb::Reflection::AddUInt32);
      case FD::CPPTYPE_UINT64:
        return SetNumber<pb::uint64>(text, msg, field, &pb::Reflection::SetUInt64,
                                     &pb::Reflection::AddUInt64);
      case FD::CPPTYPE_DOUBLE:
        return SetNumber<double>(text, msg, field, &pb::Reflection::SetDouble,
                                 &pb::Reflection::AddDouble);
      case FD::CPPTYPE_FLOAT:
        return SetNumber<float>(text, msg, field, &pb::Reflection::SetFloat,
                                &pb::Reflection::AddFloat);
      case FD::CPPTYPE_MESSAGE:
        break;  // handled by Element
    }
    return "this field cannot be written as a single value";
  }

  std::string file_;
};

std::string At(const std::string& file, const YAML::Mark& mark) {
  if (mark.line < 0) return file;
  return file + ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1);
}

}  // namespace

Status ParseYamlString(std::string_view text, const std::string& display_name,
                       google::protobuf::Message* out) {
  std::vector<YAML::Node> docs;
  try {
    docs = YAML::LoadAll(std::string(text));
  } catch (const YAML::Exception& e) {
    return Error{At(display_name, e.mark) + ": YAML syntax error: " + e.msg};
  }
  if (docs.empty()) return Ok{};
  if (docs.size() > 1) {
    return Error{At(display_name, docs[1].Mark()) +
                 ": a second YAML document begins here; a config file holds exactly one"};
  }
  try {
    return Walker(display_name).Message(docs[0], "", out);
  } catch (const YAML::Exception& e) {  // the walker checks node types first; this is a backstop
    return Error{At(display_name, e.mark) + ": " + e.msg};
  }
}

Status ParseYamlFile(const std::string& path, google::protobuf::Message* out) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    return Error{"cannot read '" + path + "': it is a directory"};
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error{"cannot read '" + path + "': " + std::strerror(errno)};
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return Error{"cannot read '" + path + "': " + std::strerror(errno)};
  return ParseYamlString(text.str(), path, out);
}

}  // namespace renrakumo::config
