// Error type thrown inside the core. It never crosses the C ABI: capi/ turns it into a status code and a
// thread-local message. The kind maps onto the natural Python exception (ValueError, TypeError, IndexError...).
#pragma once
#include <sstream>
#include <stdexcept>
#include <string>

namespace braid {

// Values are part of the C ABI (BRAID_ERR_*): append only.
enum class ErrorKind : int {
  kRuntime = 1,  // generic failure inside the core
  kValue = 2,    // bad argument value (shape, axis, attribute)
  kType = 3,     // wrong dtype or argument type
  kIndex = 4,    // index out of range
  kIO = 5,       // file missing, corrupt or truncated
  kNotImplemented = 6,
  kDevice = 7,  // device unavailable or mixed devices
  kMemory = 8,  // allocation failed
};

class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, const std::string& msg) : std::runtime_error(msg), kind_(kind) {}
  ErrorKind kind() const { return kind_; }

 private:
  ErrorKind kind_;
};

namespace detail {
inline void append_all(std::ostringstream&) {}
template <typename T, typename... Rest>
void append_all(std::ostringstream& os, const T& v, const Rest&... rest) {
  os << v;
  append_all(os, rest...);
}
}  // namespace detail

// Concatenates its arguments with operator<< into one message.
template <typename... Args>
std::string str_cat(const Args&... args) {
  std::ostringstream os;
  detail::append_all(os, args...);
  return os.str();
}

template <typename... Args>
[[noreturn]] void fail(ErrorKind kind, const Args&... args) {
  throw Error(kind, str_cat(args...));
}

}  // namespace braid

// Checks a condition and throws a braid::Error of the given kind with the remaining arguments as message.
#define BRAID_CHECK(cond, kind, ...)                        \
  do {                                                      \
    if (!(cond))                                            \
      ::braid::fail(::braid::ErrorKind::kind, __VA_ARGS__); \
  } while (0)
