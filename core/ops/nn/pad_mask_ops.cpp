// Pad (MXNet: 4-D/5-D data, padding of the spatial axes only, constant/edge/reflect) and SequenceMask
// (positions past each sequence's length set to a value). Pad maps every output position of a spatial axis to
// a source position (or none, for constant padding) through one table per axis; the backward op walks the
// same tables and accumulates, so edge and reflect gradients add up every copy of a source element.
#include "ops/nn/nn_basic.h"
#include "ops/op_call.h"

namespace braid {

namespace {

using nn::Metas;
using nn::Tensors;

// For each spatial axis: the source index of every output position, -1 for the constant fill.
std::vector<std::vector<int64_t>> pad_tables(const std::string& mode, const Shape& in, const std::vector<int64_t>& pw) {
  std::vector<std::vector<int64_t>> t;
  for (size_t d = 2; d < in.size(); ++d) {
    const int64_t n = in[d], before = pw[2 * d], after = pw[2 * d + 1];
    std::vector<int64_t> m(static_cast<size_t>(n + before + after));
    for (int64_t o = 0; o < static_cast<int64_t>(m.size()); ++o) {
      int64_t i = o - before;
      if (i < 0 || i >= n) {
        if (mode == "constant") {
          i = -1;
        } else if (mode == "edge") {
          i = i < 0 ? 0 : n - 1;
        } else {  // reflect, without repeating the edge element
          i = i < 0 ? -i : 2 * (n - 1) - i;
        }
      }
      m[o] = i;
    }
    t.push_back(std::move(m));
  }
  return t;
}

void pad_check(const std::string& op, const OpAttrs& a, const Shape& s) {
  BRAID_CHECK(s.size() == 4 || s.size() == 5, kValue, op, ": input 'data' must be 4-D or 5-D, got shape ",
              shape_str(s));
  const std::vector<int64_t>& pw = a.get_tuple("pad_width");
  BRAID_CHECK(pw.size() == 2 * s.size(), kValue, op, ": pad_width must have 2 values per axis (", 2 * s.size(),
              "), got ", pw.size());
  BRAID_CHECK(pw[0] == 0 && pw[1] == 0 && pw[2] == 0 && pw[3] == 0, kValue, op,
              ": pad_width must be 0 for the first two axes (batch, channel)");
  for (size_t d = 2; d < s.size(); ++d) {
    BRAID_CHECK(pw[2 * d] >= 0 && pw[2 * d + 1] >= 0, kValue, op, ": pad_width values must be non-negative");
    if (a.get_str("mode") == "reflect") {
      BRAID_CHECK(pw[2 * d] < s[d] && pw[2 * d + 1] < s[d], kValue, op, ": reflect padding of axis ", d,
                  " must be smaller than its size ", s[d]);
    }
    if (a.get_str("mode") == "edge") {
      BRAID_CHECK(s[d] > 0 || (pw[2 * d] == 0 && pw[2 * d + 1] == 0), kValue, op, ": cannot edge-pad the empty axis ",
                  d);
    }
  }
}

// Calls f(plane, out_offset_in_plane, src_offset_in_plane or -1) for every output element, planes in parallel.
template <typename F>
void pad_walk(const Shape& in, const Shape& out, const std::vector<std::vector<int64_t>>& tab, F f) {
  const int64_t planes = in[0] * in[1];
  const int nsp = static_cast<int>(tab.size());
  int64_t out_plane = 1;
  for (int d = 0; d < nsp; ++d)
    out_plane *= out[2 + d];
  parallel_for(planes, std::max<int64_t>(1, kParallelGrain / std::max<int64_t>(out_plane, 1)),
               [&](int64_t b, int64_t e) {
                 for (int64_t p = b; p < e; ++p) {
                   for (int64_t o = 0; o < out_plane; ++o) {
                     int64_t rest = o, src = 0, stride = 1;
                     bool fill = false;
                     for (int d = nsp - 1; d >= 0; --d) {
                       const int64_t od = rest % out[2 + d];
                       rest /= out[2 + d];
                       const int64_t sd = tab[d][od];
                       fill = fill || sd < 0;
                       src += sd * stride;
                       stride *= in[2 + d];
                     }
                     f(p, o, fill ? -1 : src);
                   }
                 }
               });
}

Shape padded_shape(const Shape& s, const std::vector<int64_t>& pw) {
  Shape o = s;
  for (size_t d = 0; d < s.size(); ++d)
    o[d] += pw[2 * d] + pw[2 * d + 1];
  return o;
}

void pad_kernel(const OpContext&, const OpAttrs& a, const Tensors& in, const Tensors& out) {
  const Shape& s = in[0].shape();
  auto tab = pad_tables(a.get_str("mode"), s, a.get_tuple("pad_width"));
  const double cv = a.get_float("constant_value");
  dispatch_dtype(in[0].dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    Tensor x = contiguous(in[0]), y = nn::out_buffer(out[0], out[0].dtype());
    const T* px = x.data<T>();
    T* py = y.data<T>();
    const T fillv = static_cast<T>(static_cast<compute_t<T>>(cv));
    const int64_t ip = shape_numel(s) / std::max<int64_t>(s[0] * s[1], 1);
    const int64_t op = y.numel() / std::max<int64_t>(s[0] * s[1], 1);
    pad_walk(s, y.shape(), tab,
             [&](int64_t p, int64_t o, int64_t src) { py[p * op + o] = src < 0 ? fillv : px[p * ip + src]; });
    nn::finish_out(y, out[0]);
  });
}

// in: out_grad; out: the gradient of data (shape out_grad minus the padding).
void pad_backward(const OpContext&, const OpAttrs& a, const Tensors& in, const Tensors& out) {
  const Shape& s = out[0].shape();
  auto tab = pad_tables(a.get_str("mode"), s, a.get_tuple("pad_width"));
  const DType ct = nn::compute_dtype(in[0].dtype());
  nn::dispatch_compute(in[0].dtype(), "_backward_Pad", [&](auto tag) {
    using C = typename decltype(tag)::type;
    Tensor g = contiguous_as(in[0], ct), gx = nn::out_buffer(out[0], ct);
    const C* pg = g.data<C>();
    C* px = gx.data<C>();
    std::fill(px, px + gx.numel(), C(0));
    const int64_t ip = shape_numel(s) / std::max<int64_t>(s[0] * s[1], 1);
    const int64_t op = g.numel() / std::max<int64_t>(s[0] * s[1], 1);
    // Each plane belongs to one thread, so the accumulation needs no atomics.
    pad_walk(s, g.shape(), tab, [&](int64_t p, int64_t o, int64_t src) {
      if (src >= 0)
        px[p * ip + src] += pg[p * op + o];
    });
    nn::finish_out(gx, out[0]);
  });
}

OpDef& pad_attrs(OpDef& d) {
  return d.attr_string("mode", "constant", {"constant", "edge", "reflect"}, "how the border is filled")
      .attr_tuple_required("pad_width", "(before, after) per axis, flattened; 0 for the first two axes")
      .attr_float("constant_value", 0.0, "the fill value of constant padding");
}

// SequenceMask: data (T, B, ...) with axis=0 or (B, T, ...) with axis=1, sequence_length (B,).
void seqmask_infer(const OpAttrs& a, const Metas& in, Metas* out) {
  const std::string& op = a.op()->name;
  const int64_t axis = a.get_int("axis");
  BRAID_CHECK(axis == 0 || axis == 1, kValue, op, ": axis must be 0 or 1, got ", axis);
  BRAID_CHECK(in[0].shape.size() >= 2, kValue, op, ": input 'data' must have at least 2 dimensions, got shape ",
              shape_str(in[0].shape));
  if (a.get_bool("use_sequence_length")) {
    BRAID_CHECK(in.size() == 2, kValue, op, ": use_sequence_length=True needs the input 'sequence_length'");
    const int64_t batch = in[0].shape[1 - axis];
    BRAID_CHECK(in[1].shape == Shape{batch}, kValue, op, ": input 'sequence_length' has shape ", shape_str(in[1].shape),
                ", expected (", batch, ",) (data's batch axis ", 1 - axis, ")");
  }
  (*out)[0] = in[0];
}

void seqmask_kernel(const OpContext&, const OpAttrs& a, const Tensors& in, const Tensors& out) {
  if (!a.get_bool("use_sequence_length") || in[0].numel() == 0) {
    copy_into(in[0], out[0]);
    return;
  }
  const Shape& s = in[0].shape();
  const int axis = static_cast<int>(a.get_int("axis"));
  const int64_t steps = s[axis], batch = s[1 - axis], rest = shape_numel(s) / (steps * batch);
  Tensor len = Tensor::empty(in[1].shape(), DType::kFloat64, in[1].ctx());
  copy_into(in[1], len);
  const double* pl = len.data<double>();
  const double value = a.get_float("value");
  dispatch_dtype(in[0].dtype(), [&](auto tag) {
    using T = typename decltype(tag)::type;
    Tensor x = contiguous(in[0]), y = nn::out_buffer(out[0], out[0].dtype());
    const T* px = x.data<T>();
    T* py = y.data<T>();
    const T v = static_cast<T>(static_cast<compute_t<T>>(value));
    parallel_for(steps * batch, std::max<int64_t>(1, kParallelGrain / rest), [&](int64_t b, int64_t e) {
      for (int64_t k = b; k < e; ++k) {
        const int64_t t = axis == 0 ? k / batch : k % steps, bi = axis == 0 ? k % batch : k / steps;
        const int64_t at = k * rest;
        if (static_cast<double>(t) >= pl[bi]) {
          std::fill(py + at, py + at + rest, v);
        } else {
          std::copy(px + at, px + at + rest, py + at);
        }
      }
    });
    nn::finish_out(y, out[0]);
  });
}

}  // namespace

void register_pad_mask_ops(Registry& r) {
  OpDef& pad = r.add("Pad")
                   .alias("pad")
                   .describe("Pads the spatial axes of 4-D or 5-D data: constant, edge (repeat) or reflect.")
                   .inputs({"data"});
  pad_attrs(pad)
      .set_infer([](const OpAttrs& a, const Metas& in, Metas* out) {
        pad_check("Pad", a, in[0].shape);
        (*out)[0] = {padded_shape(in[0].shape, a.get_tuple("pad_width")), in[0].dtype};
      })
      .set_cpu(pad_kernel)
      .set_grad([](const OpAttrs& a, const Tensors&, const Tensors&, const Tensors& og) {
        const std::vector<int64_t>& pw = a.get_tuple("pad_width");
        return Tensors{call("_backward_Pad", {og[0]}, {{"mode", a.get_str("mode").c_str()}, {"pad_width", pw}})};
      });

  OpDef& padb =
      r.add("_backward_Pad").describe("Gradient of Pad: out_grad folded back onto data.").inputs({"out_grad"});
  pad_attrs(padb)
      .set_infer([](const OpAttrs& a, const Metas& in, Metas* out) {
        const std::vector<int64_t>& pw = a.get_tuple("pad_width");
        nn::check_float_input("_backward_Pad", "out_grad", in[0].dtype);
        BRAID_CHECK(pw.size() == 2 * in[0].shape.size(), kValue, "_backward_Pad: pad_width does not match out_grad");
        Shape s = in[0].shape;
        for (size_t d = 0; d < s.size(); ++d)
          s[d] -= pw[2 * d] + pw[2 * d + 1];
        pad_check("_backward_Pad", a, s);
        (*out)[0] = {s, in[0].dtype};
      })
      .set_cpu(pad_backward);

  r.add("SequenceMask")
      .alias("sequence_mask")
      .describe(
          "Sets the positions of each sequence at or past its length to value. data is (T, B, ...) for axis=0 "
          "or (B, T, ...) for axis=1; sequence_length (B,) is used when use_sequence_length=True.")
      .inputs({"data", "sequence_length"})
      .optional_inputs(1)
      .attr_bool("use_sequence_length", false, "whether to mask by the input 'sequence_length'")
      .attr_float("value", 0.0, "the value of masked positions")
      .attr_int("axis", 0, "the time axis: 0 or 1")
      .set_infer(seqmask_infer)
      .set_cpu(seqmask_kernel)
      .set_grad([](const OpAttrs& a, const Tensors& in, const Tensors&, const Tensors& og) {
        Tensors grads;
        if (a.get_bool("use_sequence_length")) {
          grads.push_back(call("SequenceMask", {og[0], in[1]},
                               {{"use_sequence_length", true}, {"value", 0.0}, {"axis", a.get_int("axis")}}));
        } else {
          grads.push_back(og[0]);
        }
        if (in.size() == 2)
          grads.push_back(Tensor());
        return grads;
      });
}

}  // namespace braid
