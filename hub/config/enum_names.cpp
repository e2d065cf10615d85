#include "config/enum_names.h"

#include <algorithm>
#include <cctype>

namespace renrakumo::config {
namespace {

std::string Upper(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = c == '+' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

// The longest prefix ending in '_' that every value name shares.
std::string CommonPrefix(const google::protobuf::EnumDescriptor* type) {
  std::string prefix = type->value(0)->name();
  for (int i = 1; i < type->value_count(); ++i) {
    const std::string& name = type->value(i)->name();
    size_t n = 0;
    while (n < prefix.size() && n < name.size() && prefix[n] == name[n]) ++n;
    prefix.resize(n);
  }
  const auto cut = prefix.rfind('_');
  return cut == std::string::npos ? "" : prefix.substr(0, cut + 1);
}

bool IsUnspecified(const google::protobuf::EnumValueDescriptor* v) { return v->number() == 0; }

}  // namespace

const google::protobuf::EnumValueDescriptor* FindEnumValue(
    const google::protobuf::EnumDescriptor* type, std::string_view text) {
  const std::string wanted = Upper(text);
  const std::string prefix = CommonPrefix(type);
  for (int i = 0; i < type->value_count(); ++i) {
    const auto* v = type->value(i);
    if (IsUnspecified(v)) continue;
    if (v->name() == wanted || v->name() == prefix + wanted) return v;
  }
  return nullptr;
}

std::string ShortEnumName(const google::protobuf::EnumValueDescriptor* value) {
  std::string name = value->name().substr(CommonPrefix(value->type()).size());
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return name;
}

std::string EnumChoices(const google::protobuf::EnumDescriptor* type) {
  std::string out = "one of: ";
  bool first = true;
  for (int i = 0; i < type->value_count(); ++i) {
    if (IsUnspecified(type->value(i))) continue;
    out += (first ? "" : ", ") + ShortEnumName(type->value(i));
    first = false;
  }
  return out;
}

}  // namespace renrakumo::config
