// Attribute values as strings, the form MXNet's graph files use ("(3, 3)", "True", "float32", "None").
#pragma once
#include <string>

#include "ops/registry.h"

namespace braid {

// Parses value for attribute index of attrs' op and stores it (validated like a value from the C ABI).
// where names the node in error messages.
void set_attr_from_string(OpAttrs& attrs, int index, const std::string& value, const std::string& where);
// The string MXNet would write for attribute index of attrs.
std::string attr_to_string(const OpAttrs& attrs, int index);

}  // namespace braid
