// Little-endian binary streams for file formats. The reader knows how many bytes its input holds, so a parser
// can check every count and size against what is left before allocating, and every error names the input
// and the byte offset where the expected field starts.
#pragma once
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>

#include "base/error.h"

namespace braid {

// Where a reader's bytes come from: memory or a file. read() is only asked for bytes that exist.
class ByteSource {
 public:
  virtual ~ByteSource() = default;
  virtual void read(void* dst, size_t n) = 0;
  virtual uint64_t size() const = 0;
};

// Opens path for reading; a missing, unreadable or non-regular file raises kIO naming op and path.
std::unique_ptr<ByteSource> open_file_source(const std::string& path, const char* op);
std::unique_ptr<ByteSource> memory_source(const void* data, size_t size);

class ByteReader {
 public:
  // name describes the input in messages, e.g. "load 'model.params'".
  ByteReader(ByteSource& src, std::string name) : src_(src), size_(src.size()), name_(std::move(name)) {}

  uint64_t offset() const { return offset_; }
  uint64_t remaining() const { return size_ - offset_; }

  // Each reads a field described by what ("the array count"); a short input raises kIO.
  uint32_t u32(const char* what);
  int32_t i32(const char* what) { return static_cast<int32_t>(u32(what)); }
  uint64_t u64(const char* what);
  int64_t i64(const char* what) { return static_cast<int64_t>(u64(what)); }
  void bytes(void* dst, uint64_t n, const char* what);

  // Raises a kind error about the field that starts at byte at.
  template <typename... Args>
  [[noreturn]] void fail_at(uint64_t at, ErrorKind kind, const Args&... args) const {
    fail(kind, name_, ": at byte ", at, ": ", args...);
  }

 private:
  void need(uint64_t n, const char* what) const;

  ByteSource& src_;
  uint64_t size_;
  uint64_t offset_ = 0;
  std::string name_;
};

// Where a writer's bytes go.
class ByteSink {
 public:
  virtual ~ByteSink() = default;
  virtual void write(const void* src, size_t n) = 0;
};

// Writes into a caller-provided buffer of exactly known capacity; overflowing it is a bug (kRuntime).
class MemorySink : public ByteSink {
 public:
  MemorySink(void* buf, size_t cap) : buf_(static_cast<char*>(buf)), cap_(cap) {}
  void write(const void* src, size_t n) override;
  size_t written() const { return pos_; }

 private:
  char* buf_;
  size_t cap_;
  size_t pos_ = 0;
};

// Writes a file; close() reports errors of buffered writes. op and path name the file in messages.
class FileSink : public ByteSink {
 public:
  FileSink(const std::string& path, const char* op);
  ~FileSink() override;
  FileSink(const FileSink&) = delete;
  FileSink& operator=(const FileSink&) = delete;
  void write(const void* src, size_t n) override;
  void close();

 private:
  std::FILE* f_ = nullptr;
  std::string path_;
  const char* op_;
};

class ByteWriter {
 public:
  explicit ByteWriter(ByteSink& sink) : sink_(sink) {}
  void u32(uint32_t v);
  void i32(int32_t v) { u32(static_cast<uint32_t>(v)); }
  void u64(uint64_t v);
  void i64(int64_t v) { u64(static_cast<uint64_t>(v)); }
  void bytes(const void* src, size_t n) {
    if (n) {
      sink_.write(src, n);
    }
  }

 private:
  ByteSink& sink_;
};

}  // namespace braid
