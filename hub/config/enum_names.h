// Enum values as people write them: lower case, without the enum's common prefix
// (TLP_AMBER_STRICT is "amber_strict", ADVISORY_PATH_VIA_ASSOCIATION is "via_association").
// Shared by the YAML config parser and the CLI so both accept the same words.
#pragma once

#include <string>
#include <string_view>

#include <google/protobuf/descriptor.h>

namespace renrakumo::config {

// The value named `text` (short or full name, any case; '+' counts as '_'), or nullptr.
// The zero "UNSPECIFIED" value is never matched: it means "not given".
const google::protobuf::EnumValueDescriptor* FindEnumValue(
    const google::protobuf::EnumDescriptor* type, std::string_view text);

std::string ShortEnumName(const google::protobuf::EnumValueDescriptor* value);

// "one of: clear, green, amber, amber_strict, red" — for error messages.
std::string EnumChoices(const google::protobuf::EnumDescriptor* type);

}  // namespace renrakumo::config
