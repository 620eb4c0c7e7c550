#include "base/shape.h"

#include <algorithm>

#include "base/error.h"

namespace braid {

int64_t shape_numel(const Shape& s) {
  int64_t n = 1;
  for (int64_t d : s)
    n *= d;
  return n;
}

Shape contiguous_strides(const Shape& s) {
  Shape st(s.size());
  int64_t acc = 1;
  for (size_t i = s.size(); i-- > 0;) {
    st[i] = acc;
    acc *= std::max<int64_t>(s[i], 1);
  }
  return st;
}

std::string shape_str(const Shape& s) {
  std::string r = "(";
  for (size_t i = 0; i < s.size(); ++i) {
    if (i)
      r += ", ";
    r += std::to_string(s[i]);
  }
  if (s.size() == 1)
    r += ",";
  return r + ")";
}

int normalize_axis(int64_t axis, int ndim, const char* op, const char* arg) {
  int64_t a = axis < 0 ? axis + ndim : axis;
  if (a < 0 || a >= ndim) {
    fail(ErrorKind::kValue, op, ": ", arg, "=", axis, " is out of range for an array of ndim ", ndim, " (expected ",
         -ndim, " <= ", arg, " < ", ndim, ")");
  }
  return static_cast<int>(a);
}

Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op) {
  size_t n = std::max(a.size(), b.size());
  Shape out(n);
  for (size_t i = 0; i < n; ++i) {
    int64_t da = i < n - a.size() ? 1 : a[i - (n - a.size())];
    int64_t db = i < n - b.size() ? 1 : b[i - (n - b.size())];
    if (da != db && da != 1 && db != 1) {
      fail(ErrorKind::kValue, op, ": operands could not be broadcast together with shapes ", shape_str(a), " and ",
           shape_str(b));
    }
    out[i] = da == 1 ? db : da;
  }
  return out;
}

}  // namespace braid

namespace braid {

Shape resolve_reshape(const Shape& in_shape, const std::vector<int64_t>& spec_in, bool reverse, const char* op) {
  Shape in = in_shape;
  std::vector<int64_t> spec = spec_in;
  if (reverse) {
    std::reverse(in.begin(), in.end());
    // -4 takes the two values after it; reversing moves them before, so keep each (-4, a, b) group in order.
    std::vector<int64_t> r;
    for (size_t i = 0; i < spec.size(); ++i) {
      if (spec[i] == -4 && i + 2 < spec.size()) {
        r.insert(r.begin(), {-4, spec[i + 2], spec[i + 1]});
        i += 2;
      } else {
        r.insert(r.begin(), spec[i]);
      }
    }
    spec = r;
  }
  auto bad = [&](const std::string& why) {
    fail(ErrorKind::kValue, op, ": cannot reshape an array of shape ", shape_str(in_shape),
         " with shape=", shape_str(spec_in), ": ", why);
  };
  Shape out;
  int infer_at = -1;
  size_t src = 0;
  for (size_t i = 0; i < spec.size(); ++i) {
    int64_t v = spec[i];
    if (v > 0) {
      out.push_back(v);
      ++src;
    } else if (v == 0) {
      if (src >= in.size())
        bad("0 refers past the input's last dimension");
      out.push_back(in[src++]);
    } else if (v == -1) {
      if (infer_at >= 0)
        bad("more than one -1");
      infer_at = static_cast<int>(out.size());
      out.push_back(1);
      ++src;
    } else if (v == -2) {
      while (src < in.size())
        out.push_back(in[src++]);
    } else if (v == -3) {
      if (src + 1 >= in.size())
        bad("-3 needs two input dimensions to merge");
      out.push_back(in[src] * in[src + 1]);
      src += 2;
    } else if (v == -4) {
      if (i + 2 >= spec.size() || src >= in.size())
        bad("-4 needs two following values and an input dimension");
      int64_t d = in[src++], a = spec[i + 1], b = spec[i + 2];
      if (a == -1 && b > 0)
        a = d / b;
      if (b == -1 && a > 0)
        b = d / a;
      if (a <= 0 || b <= 0 || a * b != d)
        bad(str_cat("-4 cannot split ", d, " into ", spec[i + 1], " x ", spec[i + 2]));
      out.push_back(a);
      out.push_back(b);
      i += 2;
    } else {
      bad(str_cat("unknown special value ", v));
    }
  }
  int64_t total = shape_numel(in_shape);
  if (infer_at >= 0) {
    int64_t known = 1;
    for (size_t i = 0; i < out.size(); ++i) {
      if (static_cast<int>(i) != infer_at)
        known *= out[i];
    }
    if (known == 0 || total % known != 0)
      bad("the -1 dimension cannot be inferred");
    out[infer_at] = total / known;
  }
  if (shape_numel(out) != total)
    bad(str_cat("sizes differ (", total, " vs ", shape_numel(out), " elements)"));
  if (reverse)
    std::reverse(out.begin(), out.end());
  return out;
}

}  // namespace braid
