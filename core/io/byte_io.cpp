#include "io/byte_io.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>

namespace braid {

namespace {

std::string errno_text(int err) {
  return err ? std::strerror(err) : "unknown error";
}

class MemorySource : public ByteSource {
 public:
  MemorySource(const void* data, size_t size) : p_(static_cast<const char*>(data)), size_(size) {}
  void read(void* dst, size_t n) override {
    std::memcpy(dst, p_ + pos_, n);
    pos_ += n;
  }
  uint64_t size() const override { return size_; }

 private:
  const char* p_;
  size_t size_;
  size_t pos_ = 0;
};

class FileSource : public ByteSource {
 public:
  FileSource(std::FILE* f, uint64_t size, std::string path) : f_(f), size_(size), path_(std::move(path)) {}
  ~FileSource() override { std::fclose(f_); }
  void read(void* dst, size_t n) override {
    size_t got = std::fread(dst, 1, n, f_);
    // The size was checked up front, so a short read means the file changed or the disk failed.
    BRAID_CHECK(got == n, kIO, "load '", path_, "': read failed after ", got, " of ", n, " bytes (",
                std::ferror(f_) ? errno_text(errno) : "the file shrank while being read", ")");
  }
  uint64_t size() const override { return size_; }

 private:
  std::FILE* f_;
  uint64_t size_;
  std::string path_;
};

}  // namespace

std::unique_ptr<ByteSource> open_file_source(const std::string& path, const char* op) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) {
    int err = errno;
    fail(ErrorKind::kIO, op, ": cannot open '", path, "' for reading: ", errno_text(err));
  }
  struct stat st;
  if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
    std::fclose(f);
    fail(ErrorKind::kIO, op, ": '", path, "' is not a regular file");
  }
  try {
    return std::make_unique<FileSource>(f, static_cast<uint64_t>(st.st_size), path);
  } catch (...) {
    std::fclose(f);
    throw;
  }
}

std::unique_ptr<ByteSource> memory_source(const void* data, size_t size) {
  return std::make_unique<MemorySource>(data, size);
}

void ByteReader::need(uint64_t n, const char* what) const {
  if (n > remaining()) {
    fail_at(offset_, ErrorKind::kIO, "truncated: expected ", what, " (", n, " bytes), but only ", remaining(),
            " bytes remain");
  }
}

uint32_t ByteReader::u32(const char* what) {
  need(4, what);
  unsigned char b[4];
  src_.read(b, 4);
  offset_ += 4;
  return static_cast<uint32_t>(b[0]) | static_cast<uint32_t>(b[1]) << 8 | static_cast<uint32_t>(b[2]) << 16 |
         static_cast<uint32_t>(b[3]) << 24;
}

uint64_t ByteReader::u64(const char* what) {
  need(8, what);
  unsigned char b[8];
  src_.read(b, 8);
  offset_ += 8;
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) {
    v = v << 8 | b[i];
  }
  return v;
}

void ByteReader::bytes(void* dst, uint64_t n, const char* what) {
  need(n, what);
  if (n) {
    src_.read(dst, static_cast<size_t>(n));
  }
  offset_ += n;
}

void MemorySink::write(const void* src, size_t n) {
  BRAID_CHECK(n <= cap_ - pos_, kRuntime, "internal error: serialised data overflows its buffer of ", cap_, " bytes");
  std::memcpy(buf_ + pos_, src, n);
  pos_ += n;
}

FileSink::FileSink(const std::string& path, const char* op) : path_(path), op_(op) {
  f_ = std::fopen(path.c_str(), "wb");
  if (!f_) {
    int err = errno;
    fail(ErrorKind::kIO, op, ": cannot open '", path, "' for writing: ", errno_text(err));
  }
}

FileSink::~FileSink() {
  if (f_) {
    std::fclose(f_);
  }
}

void FileSink::write(const void* src, size_t n) {
  if (std::fwrite(src, 1, n, f_) != n) {
    int err = errno;
    fail(ErrorKind::kIO, op_, ": writing '", path_, "' failed: ", errno_text(err));
  }
}

void FileSink::close() {
  std::FILE* f = f_;
  f_ = nullptr;
  if (std::fclose(f) != 0) {
    int err = errno;
    fail(ErrorKind::kIO, op_, ": writing '", path_, "' failed: ", errno_text(err));
  }
}

void ByteWriter::u32(uint32_t v) {
  unsigned char b[4];
  for (int i = 0; i < 4; ++i) {
    b[i] = static_cast<unsigned char>(v >> (8 * i));
  }
  sink_.write(b, 4);
}

void ByteWriter::u64(uint64_t v) {
  unsigned char b[8];
  for (int i = 0; i < 8; ++i) {
    b[i] = static_cast<unsigned char>(v >> (8 * i));
  }
  sink_.write(b, 8);
}

}  // namespace braid
