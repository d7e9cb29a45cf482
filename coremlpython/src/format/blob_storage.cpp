// opencoreml blob storage: BlobReader (validating every record before anything is read
// from it) and BlobWriter (append-only, POSIX file I/O).
#include "opencoreml/blob_storage.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <limits>

#include "opencoreml/error.hpp"

// Element data is stored and viewed in host byte order; the format is little-endian.
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "opencoreml blob storage supports little-endian hosts only"
#endif

namespace opencoreml::blob {

namespace {

uint32_t load_u32(const uint8_t* p) {
    uint32_t v;
    std::memcpy(&v, p, sizeof v);
    return v;
}
uint64_t load_u64(const uint8_t* p) {
    uint64_t v;
    std::memcpy(&v, p, sizeof v);
    return v;
}
void store_u32(uint8_t* p, uint32_t v) { std::memcpy(p, &v, sizeof v); }
void store_u64(uint8_t* p, uint64_t v) { std::memcpy(p, &v, sizeof v); }

uint64_t align_up(uint64_t v) { return (v + kAlignment - 1) / kAlignment * kAlignment; }

std::string hex32(uint32_t v) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "0x%08X", v);
    return buf;
}

std::string file_label(const std::string& path) { return "weight file '" + path + "'"; }

// Record field offsets.
constexpr size_t kSentinelAt = 0, kDtypeAt = 4, kSizeAt = 8, kDataOffsetAt = 16, kPaddingAt = 24;

}  // namespace

// ---- reader --------------------------------------------------------------------------------

std::shared_ptr<BlobReader> BlobReader::open(const std::string& path) {
    return std::make_shared<BlobReader>(MappedFile::open(path, "weight file"));
}

BlobReader::BlobReader(std::shared_ptr<const MappedFile> file) : file_(std::move(file)) {
    const std::string label = file_label(file_->path());
    if (file_->size() < kHeaderSize)
        throw Error(ErrorCode::BlobStorage, label + " is too short (" + std::to_string(file_->size()) +
                                                " bytes) to hold the 64-byte blob storage header");
    const uint32_t version = load_u32(file_->data() + 4);
    if (version != kFormatVersion)
        throw Error(ErrorCode::BlobStorage, label + " has blob storage version " + std::to_string(version) +
                                                " at offset 4 (expected " + std::to_string(kFormatVersion) + ")");
    count_ = load_u32(file_->data());
}

BlobInfo BlobReader::info(uint64_t offset) const {
    const uint64_t file_size = file_->size();
    const std::string where = file_label(path()) + ": blob at offset " + std::to_string(offset);
    auto fail = [&](const std::string& what) { throw Error(ErrorCode::BlobStorage, where + " " + what); };

    if (offset < kHeaderSize) fail("points into the 64-byte file header");
    if (offset % kAlignment != 0) fail("is not aligned to 64 bytes");
    if (offset > file_size || file_size - offset < kRecordSize)
        fail("lies beyond the end of the file (file size " + std::to_string(file_size) +
             " bytes, a blob record needs 64)");

    const uint8_t* rec = file_->data() + offset;
    const uint32_t sentinel = load_u32(rec + kSentinelAt);
    if (sentinel != kSentinel) fail("has a bad sentinel " + hex32(sentinel) + " (expected 0xDEADBEEF)");
    const uint32_t code = load_u32(rec + kDtypeAt);
    if (!is_known_dtype_code(code)) fail("has an unknown data type code " + std::to_string(code));

    BlobInfo info;
    info.metadata_offset = offset;
    info.dtype = static_cast<BlobDataType>(code);
    info.size_in_bytes = load_u64(rec + kSizeAt);
    info.data_offset = load_u64(rec + kDataOffsetAt);
    const char* name = dtype_name(info.dtype);

    if (info.data_offset > file_size || info.size_in_bytes > file_size - info.data_offset)
        fail("has " + std::to_string(info.size_in_bytes) + " bytes of " + name + " data at offset " +
             std::to_string(info.data_offset) + ", which runs past the end of the file (file size " +
             std::to_string(file_size) + " bytes)");

    const unsigned bits = bits_per_element(info.dtype);
    if (bits >= 8) {
        // Older writers left this field uninitialised for byte-sized types, so it is ignored.
        const uint64_t elem = bits / 8;
        if (info.size_in_bytes % elem != 0)
            fail("has " + std::to_string(info.size_in_bytes) + " bytes of " + name +
                 " data, not a whole number of " + std::to_string(elem) + "-byte elements");
        if (info.data_offset % elem != 0)
            fail("has " + std::string(name) + " data at offset " + std::to_string(info.data_offset) +
                 ", not aligned to its " + std::to_string(elem) + "-byte elements");
        info.element_count = info.size_in_bytes / elem;
        return info;
    }

    info.padding_bits = load_u64(rec + kPaddingAt);
    if (info.padding_bits >= 8)
        fail("has " + std::to_string(info.padding_bits) + " padding bits (must be less than 8)");
    if (info.size_in_bytes == 0 && info.padding_bits != 0)
        fail("has " + std::to_string(info.padding_bits) + " padding bits but no data");
    const uint64_t used_bits = info.size_in_bytes * 8 - info.padding_bits;  // size <= file size: no overflow
    if (used_bits % bits != 0)
        fail("has " + std::to_string(info.size_in_bytes) + " bytes of " + name + " data with " +
             std::to_string(info.padding_bits) + " padding bits, which is not a whole number of " +
             std::to_string(bits) + "-bit elements");
    info.element_count = used_bits / bits;
    return info;
}

BlobInfo BlobReader::info(uint64_t metadata_offset, BlobDataType expected) const {
    BlobInfo i = info(metadata_offset);
    if (i.dtype != expected)
        throw Error(ErrorCode::BlobStorage, file_label(path()) + ": blob at offset " +
                                                std::to_string(metadata_offset) + " holds " + dtype_name(i.dtype) +
                                                " data, but " + dtype_name(expected) + " was requested");
    return i;
}

std::vector<BlobInfo> BlobReader::list() const {
    std::vector<BlobInfo> out;
    // A corrupt count must not trigger a huge allocation: each blob needs at least 64 bytes.
    out.reserve(std::min<uint64_t>(count_, file_->size() / kRecordSize));
    uint64_t offset = kHeaderSize;
    for (uint32_t i = 0; i < count_; ++i) {
        try {
            out.push_back(info(offset));
        } catch (const Error& e) {
            throw Error(e.code(), std::string(e.what()) + " (blob " + std::to_string(i + 1) + " of the " +
                                      std::to_string(count_) + " the header announces)");
        }
        offset = align_up(out.back().data_offset + out.back().size_in_bytes);
    }
    return out;
}

const uint8_t* BlobReader::data(const BlobInfo& info) const {
    const uint64_t size = file_->size();
    if (info.data_offset > size || info.size_in_bytes > size - info.data_offset)
        throw Error(ErrorCode::InvalidArgument, file_label(path()) + ": blob data at offset " +
                                                    std::to_string(info.data_offset) + " (" +
                                                    std::to_string(info.size_in_bytes) +
                                                    " bytes) is not inside this file");
    return file_->data() + info.data_offset;
}

// ---- writer --------------------------------------------------------------------------------

BlobWriter::BlobWriter(const std::string& path, bool truncate) : path_(path) {
    const int flags = O_RDWR | O_CREAT | O_CLOEXEC | (truncate ? O_TRUNC : 0);
    do {
        fd_ = ::open(path.c_str(), flags, 0644);
    } while (fd_ < 0 && errno == EINTR);
    if (fd_ < 0)
        throw Error(ErrorCode::Io, "cannot open " + file_label(path) + " for writing: " + std::strerror(errno));
    try {
        struct stat st {};
        if (::fstat(fd_, &st) != 0) fail(ErrorCode::Io, std::string("cannot stat it: ") + std::strerror(errno));
        if (!S_ISREG(st.st_mode)) fail(ErrorCode::Io, "not a regular file");
        const uint64_t size = static_cast<uint64_t>(st.st_size);
        if (truncate || size == 0) {
            uint8_t header[kHeaderSize] = {};
            store_u32(header + 4, kFormatVersion);
            write_at(0, header, sizeof header);
            end_ = kHeaderSize;
            return;
        }
        if (size < kHeaderSize)
            fail(ErrorCode::BlobStorage, "cannot be appended to: it is " + std::to_string(size) +
                                             " bytes long, too short for the 64-byte header (use truncate=True "
                                             "to start a new file)");
        uint8_t header[kHeaderSize];
        ssize_t got;
        do {
            got = ::pread(fd_, header, sizeof header, 0);
        } while (got < 0 && errno == EINTR);
        if (got != static_cast<ssize_t>(sizeof header))
            fail(ErrorCode::Io,
                 std::string("cannot read its header: ") + (got < 0 ? std::strerror(errno) : "short read"));
        const uint32_t version = load_u32(header + 4);
        if (version != kFormatVersion)
            fail(ErrorCode::BlobStorage, "cannot be appended to: its header has version " + std::to_string(version) +
                                             " at offset 4 (expected 2; use truncate=True to start a new file)");
        count_ = load_u32(header);
        end_ = size;
    } catch (...) {
        ::close(fd_);
        fd_ = -1;
        throw;
    }
}

BlobWriter::~BlobWriter() {
    if (fd_ >= 0) ::close(fd_);
}

void BlobWriter::fail(ErrorCode code, const std::string& what) const {
    throw Error(code, file_label(path_) + ": " + what);
}

void BlobWriter::write_at(uint64_t offset, const void* bytes, size_t n) {
    const auto* p = static_cast<const uint8_t*>(bytes);
    while (n > 0) {
        const size_t chunk = std::min<size_t>(n, size_t(1) << 30);
        const ssize_t put = ::pwrite(fd_, p, chunk, static_cast<off_t>(offset));
        if (put < 0) {
            if (errno == EINTR) continue;
            fail(ErrorCode::Io,
                 "could not be written at offset " + std::to_string(offset) + ": " + std::strerror(errno));
        }
        p += put;
        offset += static_cast<uint64_t>(put);
        n -= static_cast<size_t>(put);
    }
}

uint64_t BlobWriter::write(BlobDataType dtype, const uint8_t* packed_bytes, size_t n_bytes, uint64_t padding_bits) {
    if (!is_known_dtype_code(static_cast<uint32_t>(dtype)))
        fail(ErrorCode::InvalidArgument,
             "cannot write a blob of unknown data type code " + std::to_string(static_cast<uint32_t>(dtype)));
    const unsigned bits = bits_per_element(dtype);
    const std::string what = std::string("cannot write ") + dtype_name(dtype) + " blob of " +
                             std::to_string(n_bytes) + " bytes";
    if (bits >= 8) {
        if (padding_bits != 0) fail(ErrorCode::InvalidArgument, what + ": padding bits apply to sub-byte types only");
        if (n_bytes % (bits / 8) != 0)
            fail(ErrorCode::InvalidArgument,
                 what + ": not a whole number of " + std::to_string(bits / 8) + "-byte elements");
    } else {
        if (padding_bits >= 8 || (n_bytes == 0 && padding_bits != 0) || (uint64_t(n_bytes) * 8 - padding_bits) % bits)
            fail(ErrorCode::InvalidArgument, what + " with " + std::to_string(padding_bits) +
                                                 " padding bits: not a whole number of " + std::to_string(bits) +
                                                 "-bit elements");
    }
    if (n_bytes > 0 && packed_bytes == nullptr) fail(ErrorCode::InvalidArgument, what + ": no data pointer");
    if (count_ == std::numeric_limits<uint32_t>::max())
        fail(ErrorCode::BlobStorage, "already holds the maximum number of blobs");

    const uint64_t record_offset = align_up(end_);
    static const uint8_t zeros[kAlignment] = {};
    if (record_offset > end_) write_at(end_, zeros, static_cast<size_t>(record_offset - end_));

    uint8_t record[kRecordSize] = {};
    store_u32(record + kSentinelAt, kSentinel);
    store_u32(record + kDtypeAt, static_cast<uint32_t>(dtype));
    store_u64(record + kSizeAt, n_bytes);
    store_u64(record + kDataOffsetAt, record_offset + kRecordSize);
    store_u64(record + kPaddingAt, padding_bits);
    write_at(record_offset, record, sizeof record);
    write_at(record_offset + kRecordSize, packed_bytes, n_bytes);
    end_ = record_offset + kRecordSize + n_bytes;

    // The count goes last, so an interrupted write leaves a file that still lists only
    // complete blobs.
    uint8_t count_bytes[4];
    store_u32(count_bytes, count_ + 1);
    write_at(0, count_bytes, sizeof count_bytes);
    ++count_;
    return record_offset;
}

uint64_t BlobWriter::write_elements(BlobDataType dtype, const void* elements, size_t n) {
    const unsigned bits = bits_per_element(dtype);
    if (bits < 8)
        fail(ErrorCode::InvalidArgument, std::string("write_elements cannot write ") + dtype_name(dtype) +
                                             " (a sub-byte type); use write_subbyte");
    if (n > std::numeric_limits<size_t>::max() / (bits / 8))
        fail(ErrorCode::InvalidArgument, "blob of " + std::to_string(n) + " elements is too large");
    return write(dtype, static_cast<const uint8_t*>(elements), n * (bits / 8), 0);
}

uint64_t BlobWriter::write_from_float32(BlobDataType dtype, const float* values, size_t n) {
    const unsigned bits = bits_per_element(dtype);
    std::vector<uint8_t> encoded(n * (bits / 8));
    try {
        encode_from_float32(dtype, values, n, encoded.data());
    } catch (const Error& e) {
        fail(e.code(), e.what());
    }
    return write(dtype, encoded.data(), encoded.size(), 0);
}

template <typename T>
uint64_t BlobWriter::write_subbyte_impl(BlobDataType dtype, const T* values, size_t n) {
    std::vector<uint8_t> packed;
    try {
        packed = pack_subbyte(dtype, values, n);
    } catch (const Error& e) {
        fail(e.code(), e.what());
    }
    return write(dtype, packed.data(), packed.size(), padding_bits_for(dtype, n));
}

uint64_t BlobWriter::write_subbyte(BlobDataType dtype, const int64_t* values, size_t n) {
    return write_subbyte_impl(dtype, values, n);
}
uint64_t BlobWriter::write_subbyte(BlobDataType dtype, const int32_t* values, size_t n) {
    return write_subbyte_impl(dtype, values, n);
}
uint64_t BlobWriter::write_subbyte(BlobDataType dtype, const int8_t* values, size_t n) {
    return write_subbyte_impl(dtype, values, n);
}
uint64_t BlobWriter::write_subbyte(BlobDataType dtype, const uint8_t* values, size_t n) {
    return write_subbyte_impl(dtype, values, n);
}

}  // namespace opencoreml::blob
