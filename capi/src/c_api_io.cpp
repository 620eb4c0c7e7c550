// Files and buffers in MXNet's NDArray list format (.params).
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <vector>

#include "api_common.h"
#include "io/params_format.h"

using namespace braid;

namespace {

std::vector<Tensor> tensors_of(int32_t num, const braid_array* arrays, const char* fn) {
  BRAID_CHECK(num >= 0, kValue, fn, ": num must be >= 0, got ", num);
  BRAID_CHECK(num == 0 || arrays != nullptr, kValue, fn, ": arrays is NULL");
  std::vector<Tensor> out;
  out.reserve(static_cast<size_t>(num));
  for (int32_t i = 0; i < num; ++i) {
    out.push_back(tensor_of(arrays[i], fn));
  }
  return out;
}

std::vector<std::string> names_of(int32_t num, const char* const* names, const char* fn) {
  std::vector<std::string> out;
  if (!names) {
    return out;
  }
  for (int32_t i = 0; i < num; ++i) {
    BRAID_CHECK(names[i] != nullptr, kValue, fn, ": name ", i, " is NULL");
    out.emplace_back(names[i]);
  }
  return out;
}

// Hands a loaded list to the caller: the handle array and the names (one malloc block holding the pointer table
// followed by the NUL-terminated strings), both released by braid_ndarray_list_free.
void export_list(NDArrayList&& list, int32_t* num, braid_array** arrays, int32_t* num_names, const char*** names) {
  size_t n = list.arrays.size();
  size_t text = 0;
  for (const std::string& s : list.names) {
    text += s.size() + 1;
  }
  auto* handles = static_cast<braid_array*>(std::calloc(n ? n : 1, sizeof(braid_array)));
  char* block =
      list.names.empty() ? nullptr : static_cast<char*>(std::malloc(list.names.size() * sizeof(const char*) + text));
  try {
    if (!handles || (!list.names.empty() && !block)) {
      throw std::bad_alloc();
    }
    for (size_t i = 0; i < n; ++i) {
      handles[i] = new_handle(std::move(list.arrays[i]));
    }
  } catch (...) {
    for (size_t i = 0; i < n; ++i) {
      delete handles[i];
    }
    std::free(handles);
    std::free(block);
    throw;
  }
  if (block) {
    auto** table = reinterpret_cast<const char**>(block);
    char* p = block + list.names.size() * sizeof(const char*);
    for (size_t i = 0; i < list.names.size(); ++i) {
      std::memcpy(p, list.names[i].c_str(), list.names[i].size() + 1);
      table[i] = p;
      p += list.names[i].size() + 1;
    }
  }
  *num = static_cast<int32_t>(n);
  *arrays = handles;
  *num_names = static_cast<int32_t>(list.names.size());
  *names = reinterpret_cast<const char**>(block);
}

void check_load_outs(int32_t* num, braid_array** arrays, int32_t* num_names, const char*** names, const char* fn) {
  check_out(num, fn, "num");
  check_out(arrays, fn, "arrays");
  check_out(num_names, fn, "num_names");
  check_out(names, fn, "names");
}

}  // namespace

int braid_ndarray_save(const char* path, int32_t num, const braid_array* arrays, const char* const* names) {
  return guarded([&] {
    BRAID_CHECK(path != nullptr, kValue, "save: path is NULL");
    std::vector<Tensor> ts = tensors_of(num, arrays, "save");
    save_ndarray_list(path, ts, names_of(num, names, "save"));
  });
}

int braid_ndarray_load(const char* path, int32_t* num, braid_array** arrays, int32_t* num_names, const char*** names) {
  return guarded([&] {
    BRAID_CHECK(path != nullptr, kValue, "load: path is NULL");
    check_load_outs(num, arrays, num_names, names, "braid_ndarray_load");
    export_list(load_ndarray_list(std::string(path)), num, arrays, num_names, names);
  });
}

int braid_ndarray_load_from_buffer(const void* data, size_t size, int32_t* num, braid_array** arrays,
                                   int32_t* num_names, const char*** names) {
  return guarded([&] {
    check_load_outs(num, arrays, num_names, names, "braid_ndarray_load_from_buffer");
    export_list(load_ndarray_list(data, size), num, arrays, num_names, names);
  });
}

int braid_ndarray_save_to_buffer(int32_t num, const braid_array* arrays, const char* const* names, const void** data,
                                 size_t* size) {
  return guarded([&] {
    check_out(data, "braid_ndarray_save_to_buffer", "data");
    check_out(size, "braid_ndarray_save_to_buffer", "size");
    std::vector<Tensor> ts = tensors_of(num, arrays, "save_to_buffer");
    std::vector<std::string> ns = names_of(num, names, "save_to_buffer");
    size_t n = ndarray_list_nbytes(ts, ns);
    void* buf = std::malloc(n);
    if (!buf) {
      throw std::bad_alloc();
    }
    try {
      save_ndarray_list_to(buf, n, ts, ns);
    } catch (...) {
      std::free(buf);
      throw;
    }
    *data = buf;
    *size = n;
  });
}

int braid_buffer_free(const void* data) {
  return guarded([&] { std::free(const_cast<void*>(data)); });
}

int braid_ndarray_list_free(braid_array* arrays, const char** names, int32_t num_names) {
  return guarded([&] {
    std::free(arrays);
    std::free(static_cast<void*>(names));
  });
}
