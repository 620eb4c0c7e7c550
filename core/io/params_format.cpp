#include "io/params_format.h"

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>

#include "io/byte_io.h"
#include "ops/kernel_util.h"
#include "tensor/device.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "params_format copies element data as is: the file format is little-endian"
#endif

namespace braid {

namespace {

constexpr uint64_t kListMagic = 0x112;
constexpr uint32_t kMagicV1 = 0xF993FAC8;
constexpr uint32_t kMagicV2 = 0xF993FAC9;
constexpr uint32_t kMagicV3 = 0xF993FACA;
constexpr int32_t kMaxNdim = 32;  // braid's limit on array rank
// The smallest array record: the oldest format's "ndim 0" (an uninitialised array) is a single u32.
constexpr uint64_t kMinArrayRecord = 4;

enum class Layout { kLegacy, kV1, kV2, kV3 };

std::string hex(uint64_t v) {
  static const char* digits = "0123456789abcdef";
  std::string s;
  do {
    s.insert(s.begin(), digits[v & 15]);
    v >>= 4;
  } while (v);
  return "0x" + s;
}

DType dtype_from_flag(const ByteReader& r, uint64_t at, int32_t flag, size_t index) {
  if (dtype_is_valid(flag)) {
    return static_cast<DType>(flag);
  }
  // MXNet type flags braid has no dtype for.
  static const char* const kOther[] = {"int16", "uint16", "uint32", "uint64"};
  if (flag >= 8 && flag <= 11) {
    r.fail_at(at, ErrorKind::kNotImplemented, "array ", index, " has dtype ", kOther[flag - 8], " (type flag ", flag,
              "), which braid does not support");
  }
  r.fail_at(at, ErrorKind::kIO, "array ", index, " has unknown type flag ", flag,
            " (expected an MXNet type flag: 0-7 or 12)");
}

void read_storage_type(ByteReader& r, size_t index) {
  uint64_t at = r.offset();
  int32_t stype = r.i32("the storage type");
  if (stype == 0) {
    return;
  }
  if (stype == 1 || stype == 2) {
    r.fail_at(at, ErrorKind::kNotImplemented, "array ", index, " is a sparse array (",
              stype == 1 ? "row_sparse" : "csr",
              " storage); braid loads dense arrays only, so convert it with "
              "tostype('default') in MXNet before saving");
  }
  r.fail_at(at, ErrorKind::kIO, "array ", index, " has storage type ", stype, ", expected 0 (dense)",
            stype == -1 ? "; MXNet wrote an uninitialised array" : "");
}

[[noreturn]] void fail_uninitialised(const ByteReader& r, uint64_t at, size_t index) {
  r.fail_at(at, ErrorKind::kNotImplemented, "array ", index,
            " is an uninitialised MXNet NDArray (it has no shape); braid has no such arrays");
}

// Reads a shape; an uninitialised array (no shape) raises, since its record carries nothing after the shape.
Shape read_shape(ByteReader& r, Layout layout, uint32_t legacy_ndim, size_t index) {
  uint64_t at = r.offset();
  int64_t ndim;
  if (layout == Layout::kLegacy) {
    ndim = legacy_ndim;
    at -= 4;  // the ndim was the record's first u32
  } else {
    ndim = r.i32("the number of dimensions");
  }
  bool np_semantics = layout == Layout::kV3;
  if (np_semantics ? ndim == -1 : ndim == 0) {
    fail_uninitialised(r, at, index);
  }
  if (ndim < 0 || ndim > kMaxNdim) {
    r.fail_at(at, ErrorKind::kIO, "array ", index, " has ", ndim, " dimensions, expected 0 to ", kMaxNdim);
  }
  Shape shape(static_cast<size_t>(ndim));
  bool unknown = false;
  uint64_t dims_at = r.offset();
  for (auto& d : shape) {
    d = layout == Layout::kLegacy ? static_cast<int64_t>(r.u32("a dimension")) : r.i64("a dimension");
    if (np_semantics && d == -1) {
      unknown = true;
    } else if (d < 0) {
      r.fail_at(dims_at, ErrorKind::kIO, "array ", index, " has a negative dimension ", d);
    }
  }
  if (unknown) {
    fail_uninitialised(r, at, index);
  }
  // The product of the non-zero extents bounds every stride: keep it far from overflowing.
  int64_t extent = 1;
  for (int64_t d : shape) {
    if (d > 1 && extent > std::numeric_limits<int64_t>::max() / 16 / d) {
      r.fail_at(dims_at, ErrorKind::kIO, "array ", index, " has an impossibly large shape ", shape_str(shape));
    }
    extent *= d > 1 ? d : 1;
  }
  return shape;
}

DType read_context_and_dtype(ByteReader& r, size_t index) {
  uint64_t at = r.offset();
  int32_t dev_type = r.i32("the device type");
  int32_t dev_id = r.i32("the device id");
  // cpu, gpu, cpu_pinned, cpu_shared: braid loads every one of them onto cpu(0).
  if (!(dev_type == 1 || dev_type == 2 || dev_type == 3 || dev_type == 5) || dev_id < 0) {
    r.fail_at(at, ErrorKind::kIO, "array ", index, " has an invalid context (device type ", dev_type, ", id ", dev_id,
              "); expected device type 1, 2, 3 or 5 and a non-negative id");
  }
  at = r.offset();
  return dtype_from_flag(r, at, r.i32("the type flag"), index);
}

Tensor read_array(ByteReader& r, size_t index) {
  uint64_t at = r.offset();
  uint32_t magic = r.u32("an array magic number");
  Layout layout;
  if (magic == kMagicV2) {
    layout = Layout::kV2;
  } else if (magic == kMagicV3) {
    layout = Layout::kV3;
  } else if (magic == kMagicV1) {
    layout = Layout::kV1;
  } else if (magic <= static_cast<uint32_t>(kMaxNdim)) {
    layout = Layout::kLegacy;  // the oldest format: the first u32 is ndim
  } else {
    r.fail_at(at, ErrorKind::kIO, "array ", index, " starts with ", hex(magic), ", expected an NDArray magic (",
              hex(kMagicV2), " or ", hex(kMagicV3), ")");
  }
  if (layout == Layout::kV2 || layout == Layout::kV3) {
    read_storage_type(r, index);
  }
  Shape shape = read_shape(r, layout, magic, index);
  DType dtype = read_context_and_dtype(r, index);
  int64_t numel = shape_numel(shape);
  size_t esize = dtype_size(dtype);
  uint64_t data_at = r.offset();
  if (static_cast<uint64_t>(numel) > r.remaining() / esize) {
    r.fail_at(data_at, ErrorKind::kIO, "truncated: expected the data of array ", index, " (shape ", shape_str(shape),
              ", ", dtype_name(dtype), ": ", numel, " elements of ", esize, " bytes), but only ", r.remaining(),
              " bytes remain");
  }
  Tensor t = Tensor::empty(shape, dtype, Context::cpu(0));
  // A fresh array: no engine op can hold its variable yet, so it is written directly.
  r.bytes(t.raw_data(), t.nbytes(), "the array data");
  if (dtype == DType::kBool) {
    // Any byte but 0 or 1 would be an invalid C++ bool.
    auto* p = static_cast<uint8_t*>(t.raw_data());
    for (size_t i = 0; i < t.nbytes(); ++i) {
      p[i] = p[i] != 0;
    }
  }
  return t;
}

NDArrayList read_list(ByteReader& r) {
  uint64_t at = r.offset();
  uint64_t magic = r.u64("the list magic number");
  if (magic != kListMagic) {
    r.fail_at(at, ErrorKind::kIO, "not an MXNet NDArray file: expected the list magic ", hex(kListMagic), ", found ",
              hex(magic));
  }
  r.u64("the reserved field");
  at = r.offset();
  uint64_t count = r.u64("the array count");
  if (count > r.remaining() / kMinArrayRecord || count > static_cast<uint64_t>(std::numeric_limits<int32_t>::max())) {
    r.fail_at(at, ErrorKind::kIO, "the array count ", count, " cannot be right: only ", r.remaining(), " bytes follow");
  }
  NDArrayList out;
  for (uint64_t i = 0; i < count; ++i) {
    out.arrays.push_back(read_array(r, static_cast<size_t>(i)));
  }
  at = r.offset();
  uint64_t num_names = r.u64("the name count");
  if (num_names != 0 && num_names != count) {
    r.fail_at(at, ErrorKind::kIO, "the file has ", num_names, " names for ", count, " arrays (expected 0 or ", count,
              ")");
  }
  for (uint64_t i = 0; i < num_names; ++i) {
    at = r.offset();
    uint64_t len = r.u64("the length of a name");
    if (len > r.remaining()) {
      r.fail_at(at, ErrorKind::kIO, "truncated: name ", i, " is ", len, " bytes long, but only ", r.remaining(),
                " bytes remain");
    }
    std::string name(static_cast<size_t>(len), '\0');
    r.bytes(&name[0], len, "a name");
    if (name.find('\0') != std::string::npos) {
      r.fail_at(at, ErrorKind::kIO, "name ", i, " contains a NUL byte");
    }
    out.names.push_back(std::move(name));
  }
  if (r.remaining() != 0) {
    r.fail_at(r.offset(), ErrorKind::kIO, r.remaining(), " unexpected bytes after the names list");
  }
  return out;
}

// ---- saving ------------------------------------------------------------------------------------------------

void check_save_args(const std::vector<Tensor>& arrays, const std::vector<std::string>& names) {
  BRAID_CHECK(names.empty() || names.size() == arrays.size(), kValue, "save: got ", names.size(), " names for ",
              arrays.size(), " arrays (expected none or one per array)");
  for (size_t i = 0; i < arrays.size(); ++i) {
    BRAID_CHECK(arrays[i].defined(), kValue, "save: array ", i, " is undefined");
  }
  for (size_t i = 0; i < names.size(); ++i) {
    BRAID_CHECK(names[i].find('\0') == std::string::npos, kValue, "save: name ", i, " contains a NUL byte");
  }
}

// Waits for every array before anything is written, so an error of a pending op leaves no partial file.
void wait_for_arrays(const std::vector<Tensor>& arrays) {
  for (const Tensor& t : arrays) {
    Engine::get().wait_for_var(t.var_ptr());
  }
}

// The array's elements as one contiguous block in host memory (a copy when t is a strided view or on a GPU).
Tensor host_contiguous(const Tensor& t) {
  if (t.ctx().is_cpu()) {
    return contiguous(t);
  }
  BRAID_CHECK(t.is_contiguous(), kNotImplemented, "save: a non-contiguous view of an array on ", t.ctx().str(),
              "; save a copy of it");
  Tensor h = Tensor::empty(t.shape(), t.dtype(), Context::cpu());
  if (t.numel() == 0) {
    return h;
  }
  Engine::get().push(
      [t, h](const RunContext&) {
        backend_for(t.ctx()).copy(h.raw_data(), h.ctx(), t.raw_data(), t.ctx(), t.nbytes());
      },
      t.ctx(), {t.var_ptr()}, {h.var_ptr()}, "save");
  Engine::get().wait_for_var(h.var_ptr());
  return h;
}

void write_list(ByteSink& sink, const std::vector<Tensor>& arrays, const std::vector<std::string>& names) {
  bool v3 = false;
  for (const Tensor& t : arrays) {
    v3 = v3 || t.ndim() == 0;
  }
  ByteWriter w(sink);
  w.u64(kListMagic);
  w.u64(0);
  w.u64(arrays.size());
  for (const Tensor& t : arrays) {
    w.u32(v3 ? kMagicV3 : kMagicV2);
    w.i32(0);  // dense
    w.i32(t.ndim());
    for (int64_t d : t.shape()) {
      w.i64(d);
    }
    w.i32(static_cast<int32_t>(t.ctx().type));
    w.i32(t.ctx().id);
    w.i32(static_cast<int32_t>(t.dtype()));
    Tensor h = host_contiguous(t);
    w.bytes(h.raw_data(), h.nbytes());
  }
  w.u64(names.size());
  for (const std::string& n : names) {
    w.u64(n.size());
    w.bytes(n.data(), n.size());
  }
}

}  // namespace

NDArrayList load_ndarray_list(const std::string& path) {
  std::unique_ptr<ByteSource> src = open_file_source(path, "load");
  ByteReader r(*src, "load '" + path + "'");
  return read_list(r);
}

NDArrayList load_ndarray_list(const void* data, size_t size) {
  BRAID_CHECK(data != nullptr || size == 0, kValue, "load_frombuffer: data is NULL");
  std::unique_ptr<ByteSource> src = memory_source(data, size);
  ByteReader r(*src, "load_frombuffer");
  return read_list(r);
}

void save_ndarray_list(const std::string& path, const std::vector<Tensor>& arrays,
                       const std::vector<std::string>& names) {
  check_save_args(arrays, names);
  wait_for_arrays(arrays);
  FileSink sink(path, "save");
  write_list(sink, arrays, names);
  sink.close();
}

size_t ndarray_list_nbytes(const std::vector<Tensor>& arrays, const std::vector<std::string>& names) {
  check_save_args(arrays, names);
  size_t n = 3 * 8 + 8;  // list magic, reserved, array count; name count
  for (const Tensor& t : arrays) {
    n += 4 + 4 + 4 + 8 * t.shape().size() + 4 + 4 + 4 + t.nbytes();
  }
  for (const std::string& s : names) {
    n += 8 + s.size();
  }
  return n;
}

void save_ndarray_list_to(void* buf, size_t size, const std::vector<Tensor>& arrays,
                          const std::vector<std::string>& names) {
  check_save_args(arrays, names);
  wait_for_arrays(arrays);
  MemorySink sink(buf, size);
  write_list(sink, arrays, names);
  BRAID_CHECK(sink.written() == size, kRuntime, "internal error: serialised ", sink.written(), " bytes, expected ",
              size);
}

}  // namespace braid
