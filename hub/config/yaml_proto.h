// YAML text parsed into any protobuf message by walking its descriptor, so the .proto is the
// one schema for every config file. Unlike the YAML -> JSON -> proto route, each error keeps
// the file, line, column and key path of the offending node:
//   config/topology.yaml:12:5: nodes[3]: unknown key 'sectr' (known keys: id, name, ...)
// Enum values are written in lower case without the enum's prefix (via_association for
// ADVISORY_PATH_VIA_ASSOCIATION); the full name is accepted too, in any case.
#pragma once

#include <string>
#include <string_view>

#include <google/protobuf/message.h>

#include "core/result.h"

namespace renrakumo::config {

// Reads `path` and parses it into `out` (merged over what `out` already holds).
// An empty file leaves `out` unchanged.
[[nodiscard]] Status ParseYamlFile(const std::string& path, google::protobuf::Message* out);

// As ParseYamlFile, for text already in memory; `display_name` prefixes every error.
[[nodiscard]] Status ParseYamlString(std::string_view text, const std::string& display_name,
                                     google::protobuf::Message* out);

}  // namespace renrakumo::config
