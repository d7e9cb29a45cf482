// opencoreml blob storage: reading (memory-mapped, zero copy) and writing MIL weight files
// (`weight.bin`, blob format version 2). Layout: a 64-byte header (blob count, version),
// then per blob a 64-byte record at a 64-aligned offset followed by its data. Programs
// refer to a blob by the offset of its record.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "opencoreml/blob_codec.hpp"
#include "opencoreml/error.hpp"
#include "opencoreml/mapped_file.hpp"

namespace opencoreml::blob {

constexpr uint64_t kAlignment = 64;
constexpr uint64_t kHeaderSize = 64;
constexpr uint64_t kRecordSize = 64;
constexpr uint32_t kFormatVersion = 2;
constexpr uint32_t kSentinel = 0xDEADBEEFu;

struct BlobInfo {
    uint64_t metadata_offset = 0;  // where the record is (what BlobFileValue.offset stores)
    uint64_t data_offset = 0;      // absolute offset of the data
    uint64_t size_in_bytes = 0;    // stored (packed) size
    uint64_t padding_bits = 0;     // unused bits in the last byte; always 0 for byte-sized types
    uint64_t element_count = 0;
    BlobDataType dtype = BlobDataType::Float32;
};

class BlobReader {
public:
    // Maps the file and checks its header. Errors (opencoreml::Error) name the path:
    // NotFound for a missing file, Io for OS failures, BlobStorage for a bad header.
    static std::shared_ptr<BlobReader> open(const std::string& path);

    const std::string& path() const { return file_->path(); }
    uint64_t file_size() const { return file_->size(); }
    uint32_t count() const { return count_; }  // as the header states

    // Reads and validates the record at `metadata_offset`: alignment, bounds, sentinel,
    // known dtype, data within the file, size consistent with the dtype. Throws
    // Error(BlobStorage) naming the file and the offset.
    BlobInfo info(uint64_t metadata_offset) const;
    // As info(), and also requires the stored dtype to be `expected`.
    BlobInfo info(uint64_t metadata_offset, BlobDataType expected) const;
    // Every blob the header announces, in file order.
    std::vector<BlobInfo> list() const;

    // Pointer into the mapping (valid while this reader or mapping() is alive). Data is
    // 64-byte aligned for files written by any conforming writer.
    const uint8_t* data(const BlobInfo& info) const;
    std::shared_ptr<const MappedFile> mapping() const { return file_; }

    explicit BlobReader(std::shared_ptr<const MappedFile> file);

private:
    std::shared_ptr<const MappedFile> file_;
    uint32_t count_ = 0;
};

class BlobWriter {
public:
    // truncate=true starts a new file; false appends to an existing weight file (which must
    // be empty or carry a valid version-2 header) or creates it if missing.
    explicit BlobWriter(const std::string& path, bool truncate = true);
    ~BlobWriter();
    BlobWriter(const BlobWriter&) = delete;
    BlobWriter& operator=(const BlobWriter&) = delete;

    const std::string& path() const { return path_; }
    uint32_t count() const { return count_; }

    // Appends a blob of already-encoded (and, for sub-byte types, packed) bytes and returns
    // its record offset. `padding_bits` must be 0 for byte-sized types and < 8 for sub-byte
    // types; n_bytes must be a whole number of elements.
    uint64_t write(BlobDataType dtype, const uint8_t* packed_bytes, size_t n_bytes, uint64_t padding_bits = 0);
    // Byte-sized types: `elements` holds n values already in the stored encoding
    // (e.g. float16 bit patterns for Float16).
    uint64_t write_elements(BlobDataType dtype, const void* elements, size_t n);
    // Floating types (Float32, Float16, BFloat16, float8): encodes float32 values first.
    uint64_t write_from_float32(BlobDataType dtype, const float* values, size_t n);
    // Sub-byte types: one value per element; out-of-range values are rejected.
    uint64_t write_subbyte(BlobDataType dtype, const int64_t* values, size_t n);
    uint64_t write_subbyte(BlobDataType dtype, const int32_t* values, size_t n);
    uint64_t write_subbyte(BlobDataType dtype, const int8_t* values, size_t n);
    uint64_t write_subbyte(BlobDataType dtype, const uint8_t* values, size_t n);

private:
    template <typename T>
    uint64_t write_subbyte_impl(BlobDataType dtype, const T* values, size_t n);
    void write_at(uint64_t offset, const void* bytes, size_t n);
    [[noreturn]] void fail(ErrorCode code, const std::string& what) const;

    std::string path_;
    int fd_ = -1;
    uint64_t end_ = 0;  // current file length
    uint32_t count_ = 0;
};

}  // namespace opencoreml::blob
