#include "graph/json.h"

#include <cstdlib>

#include "base/error.h"

namespace braid {
namespace json {

const Value* Value::get(const std::string& key) const {
  if (type != Type::kObject)
    return nullptr;
  for (const auto& kv : obj) {
    if (kv.first == key)
      return &kv.second;
  }
  return nullptr;
}

namespace {

// Deeply nested input must not overflow the C++ stack: graph files nest four levels.
constexpr int kMaxDepth = 64;

class Parser {
 public:
  Parser(const std::string& s, const char* what) : s_(s), what_(what) {}

  Value document() {
    Value v = value(0);
    skip_ws();
    if (pos_ != s_.size())
      error("unexpected text after the JSON value");
    return v;
  }

 private:
  [[noreturn]] void error(const std::string& msg) const {
    fail(ErrorKind::kIO, what_, ": invalid JSON at byte ", pos_, ": ", msg);
  }
  void skip_ws() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\n' || s_[pos_] == '\r' || s_[pos_] == '\t'))
      ++pos_;
  }
  bool eat(char c) {
    skip_ws();
    if (pos_ < s_.size() && s_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  void expect(char c) {
    if (!eat(c))
      error(std::string("expected '") + c + "'");
  }
  bool literal(const char* word) {
    size_t n = 0;
    while (word[n])
      ++n;
    if (s_.compare(pos_, n, word) == 0) {
      pos_ += n;
      return true;
    }
    return false;
  }

  Value value(int depth) {
    if (depth > kMaxDepth)
      error("nesting is too deep");
    skip_ws();
    if (pos_ >= s_.size())
      error("unexpected end of input");
    Value v;
    char c = s_[pos_];
    if (c == '{') {
      ++pos_;
      v.type = Value::Type::kObject;
      if (eat('}'))
        return v;
      do {
        skip_ws();
        if (pos_ >= s_.size() || s_[pos_] != '"')
          error("expected a string key");
        std::string key = string();
        expect(':');
        v.obj.emplace_back(std::move(key), value(depth + 1));
      } while (eat(','));
      expect('}');
    } else if (c == '[') {
      ++pos_;
      v.type = Value::Type::kArray;
      if (eat(']'))
        return v;
      do {
        v.arr.push_back(value(depth + 1));
      } while (eat(','));
      expect(']');
    } else if (c == '"') {
      v.type = Value::Type::kString;
      v.str = string();
    } else if (literal("true")) {
      v.type = Value::Type::kBool;
      v.b = true;
    } else if (literal("false")) {
      v.type = Value::Type::kBool;
    } else if (literal("null")) {
      v.type = Value::Type::kNull;
    } else if (c == '-' || (c >= '0' && c <= '9')) {
      v.type = Value::Type::kNumber;
      const char* begin = s_.c_str() + pos_;
      char* end = nullptr;
      v.num = std::strtod(begin, &end);
      if (end == begin)
        error("bad number");
      pos_ += static_cast<size_t>(end - begin);
    } else {
      error(std::string("unexpected character '") + c + "'");
    }
    return v;
  }

  static void put_utf8(std::string* out, uint32_t cp) {
    if (cp < 0x80) {
      out->push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
  }

  uint32_t hex4() {
    if (pos_ + 4 > s_.size())
      error("truncated \\u escape");
    uint32_t v = 0;
    for (int k = 0; k < 4; ++k) {
      char h = s_[pos_++];
      v <<= 4;
      if (h >= '0' && h <= '9')
        v |= static_cast<uint32_t>(h - '0');
      else if (h >= 'a' && h <= 'f')
        v |= static_cast<uint32_t>(h - 'a' + 10);
      else if (h >= 'A' && h <= 'F')
        v |= static_cast<uint32_t>(h - 'A' + 10);
      else
        error("bad \\u escape");
    }
    return v;
  }

  std::string string() {
    ++pos_;  // the opening quote
    std::string out;
    while (true) {
      if (pos_ >= s_.size())
        error("unterminated string");
      char c = s_[pos_++];
      if (c == '"')
        return out;
      if (c != '\\') {
        out.push_back(c);
        continue;
      }
      if (pos_ >= s_.size())
        error("unterminated string");
      char e = s_[pos_++];
      switch (e) {
        case '"':
        case '\\':
        case '/':
          out.push_back(e);
          break;
        case 'b':
          out.push_back('\b');
          break;
        case 'f':
          out.push_back('\f');
          break;
        case 'n':
          out.push_back('\n');
          break;
        case 'r':
          out.push_back('\r');
          break;
        case 't':
          out.push_back('\t');
          break;
        case 'u': {
          uint32_t cp = hex4();
          if (cp >= 0xD800 && cp < 0xDC00 && pos_ + 6 <= s_.size() && s_[pos_] == '\\' && s_[pos_ + 1] == 'u') {
            pos_ += 2;
            uint32_t lo = hex4();
            if (lo >= 0xDC00 && lo < 0xE000)
              cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          }
          put_utf8(&out, cp);
          break;
        }
        default:
          error("bad escape in string");
      }
    }
  }

  const std::string& s_;
  const char* what_;
  size_t pos_ = 0;
};

}  // namespace

Value parse(const std::string& text, const char* what) {
  return Parser(text, what).document();
}

void write_string(std::string* out, const std::string& s) {
  static const char* hex = "0123456789abcdef";
  out->push_back('"');
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        *out += "\\\"";
        break;
      case '\\':
        *out += "\\\\";
        break;
      case '\n':
        *out += "\\n";
        break;
      case '\r':
        *out += "\\r";
        break;
      case '\t':
        *out += "\\t";
        break;
      default:
        if (c < 0x20) {
          *out += "\\u00";
          out->push_back(hex[c >> 4]);
          out->push_back(hex[c & 15]);
        } else {
          out->push_back(static_cast<char>(c));
        }
    }
  }
  out->push_back('"');
}

}  // namespace json
}  // namespace braid
