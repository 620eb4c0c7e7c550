// A small JSON reader and writer for the graph files (MXNet's -symbol.json). Only what those files need:
// objects, arrays, strings, numbers, true/false/null. Errors name the byte offset and what was expected.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace braid {
namespace json {

struct Value {
  enum class Type { kNull, kBool, kNumber, kString, kArray, kObject };
  Type type = Type::kNull;
  bool b = false;
  double num = 0;
  std::string str;
  std::vector<Value> arr;
  std::vector<std::pair<std::string, Value>> obj;  // in file order

  bool is_object() const { return type == Type::kObject; }
  bool is_array() const { return type == Type::kArray; }
  bool is_string() const { return type == Type::kString; }
  bool is_number() const { return type == Type::kNumber; }
  const Value* get(const std::string& key) const;  // null when absent or not an object
};

// Parses text (the whole input must be one value). what names the input in error messages.
Value parse(const std::string& text, const char* what);

// Appends s as a JSON string literal (quoted, escaped).
void write_string(std::string* out, const std::string& s);

}  // namespace json
}  // namespace braid
