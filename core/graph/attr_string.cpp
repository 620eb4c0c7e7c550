#include "graph/attr_string.h"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "ops/invoke.h"

namespace braid {

namespace {

std::string trim(const std::string& s) {
  size_t b = 0, e = s.size();
  while (b < e && (s[b] == ' ' || s[b] == '\t' || s[b] == '\n'))
    ++b;
  while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t' || s[e - 1] == '\n'))
    --e;
  return s.substr(b, e - b);
}

[[noreturn]] void bad(const OpAttrs& a, const AttrSpec& s, const std::string& v, const std::string& where,
                      const char* expected) {
  fail(ErrorKind::kValue, where, ": attribute '", s.name, "' of ", a.op()->name, " is '", v, "', expected ", expected);
}

bool parse_int(const std::string& t, int64_t* out) {
  if (t.empty())
    return false;
  errno = 0;
  char* end = nullptr;
  long long v = std::strtoll(t.c_str(), &end, 10);
  if (errno != 0)
    return false;
  std::string rest(end);
  if (rest == "L")  // Python 2 longs in old files
    rest.clear();
  if (!rest.empty())
    return false;
  *out = v;
  return true;
}

bool parse_float(const std::string& t, double* out) {
  if (t.empty())
    return false;
  char* end = nullptr;
  double v = std::strtod(t.c_str(), &end);
  if (*end != '\0')
    return false;
  *out = v;
  return true;
}

bool parse_bool(const std::string& t, bool* out) {
  if (t == "True" || t == "true" || t == "1") {
    *out = true;
    return true;
  }
  if (t == "False" || t == "false" || t == "0") {
    *out = false;
    return true;
  }
  return false;
}

// "(3, 3)", "[3,3]", "(3,)", "()", "3", "(1, None)".
bool parse_tuple(const std::string& t, std::vector<int64_t>* out) {
  std::string body = t;
  if (!body.empty() && (body.front() == '(' || body.front() == '[')) {
    char close = body.front() == '(' ? ')' : ']';
    if (body.back() != close)
      return false;
    body = body.substr(1, body.size() - 2);
  }
  out->clear();
  size_t start = 0;
  while (start <= body.size()) {
    size_t comma = body.find(',', start);
    std::string item = trim(body.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (!item.empty()) {
      int64_t v = 0;
      if (item == "None")
        out->push_back(kTupleNone);
      else if (parse_int(item, &v))
        out->push_back(v);
      else
        return false;
    } else if (comma != std::string::npos && !(comma + 1 >= body.size() || trim(body.substr(comma + 1)).empty())) {
      return false;  // an empty element in the middle: "(1,,2)"
    }
    if (comma == std::string::npos)
      break;
    start = comma + 1;
  }
  return true;
}

std::string float_repr(double v) {
  char buf[40];
  for (int prec = 6; prec <= 17; ++prec) {
    std::snprintf(buf, sizeof(buf), "%.*g", prec, v);
    if (std::strtod(buf, nullptr) == v)
      break;
  }
  return buf;
}

}  // namespace

void set_attr_from_string(OpAttrs& attrs, int index, const std::string& value, const std::string& where) {
  const AttrSpec& s = attrs.op()->attrs[index];
  const std::string t = trim(value);
  if (t == "None" && s.optional) {
    set_attr_none(attrs, index);
    return;
  }
  switch (s.kind) {
    case AttrKind::kInt: {
      int64_t v = 0;
      double f = 0;
      bool b = false;
      if (parse_int(t, &v))
        set_attr_int(attrs, index, v);
      else if (parse_float(t, &f) && f == static_cast<double>(static_cast<int64_t>(f)))
        set_attr_int(attrs, index, static_cast<int64_t>(f));
      else if (parse_bool(t, &b))
        set_attr_int(attrs, index, b);
      else
        bad(attrs, s, value, where, "an int");
      return;
    }
    case AttrKind::kFloat: {
      double f = 0;
      if (t == "inf" || t == "+inf")
        f = HUGE_VAL;
      else if (t == "-inf")
        f = -HUGE_VAL;
      else if (!parse_float(t, &f))
        bad(attrs, s, value, where, "a float");
      set_attr_float(attrs, index, f);
      return;
    }
    case AttrKind::kBool: {
      bool b = false;
      if (!parse_bool(t, &b))
        bad(attrs, s, value, where, "True or False");
      set_attr_bool(attrs, index, b);
      return;
    }
    case AttrKind::kString:
      set_attr_string(attrs, index, t.c_str());
      return;
    case AttrKind::kDType:
      set_attr_string(attrs, index, t.c_str());
      return;
    case AttrKind::kTuple: {
      std::vector<int64_t> v;
      if (!parse_tuple(t, &v))
        bad(attrs, s, value, where, "a tuple of ints such as (3, 3)");
      set_attr_tuple(attrs, index, v.data(), static_cast<int64_t>(v.size()));
      return;
    }
  }
}

std::string attr_to_string(const OpAttrs& attrs, int index) {
  const AttrSpec& s = attrs.op()->attrs[index];
  const AttrValue& v = attrs.values()[index];
  if (v.none)
    return "None";
  switch (s.kind) {
    case AttrKind::kInt:
      return std::to_string(v.i);
    case AttrKind::kFloat:
      return float_repr(v.f);
    case AttrKind::kBool:
      return v.i ? "True" : "False";
    case AttrKind::kString:
      return v.s;
    case AttrKind::kDType:
      return dtype_name(static_cast<DType>(v.i));
    case AttrKind::kTuple: {
      std::string out = "(";
      for (size_t k = 0; k < v.tuple.size(); ++k) {
        if (k)
          out += ", ";
        out += v.tuple[k] == kTupleNone ? std::string("None") : std::to_string(v.tuple[k]);
      }
      if (v.tuple.size() == 1)
        out += ",";
      return out + ")";
    }
  }
  return "";
}

}  // namespace braid
