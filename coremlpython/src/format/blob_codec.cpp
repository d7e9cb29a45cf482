// opencoreml blob storage: dtype table, array conversions and sub-byte bit packing.
#include "opencoreml/blob_codec.hpp"

#include <algorithm>
#include <array>
#include <string>
#include <utility>

#include "format/half_simd.hpp"
#include "opencoreml/error.hpp"

namespace opencoreml::blob {

namespace {

struct DtypeRow {
    BlobDataType dtype;
    unsigned bits;
    const char* name;
};

constexpr DtypeRow kDtypes[] = {
    {BlobDataType::Float16, 16, "float16"},      {BlobDataType::Float32, 32, "float32"},
    {BlobDataType::UInt8, 8, "uint8"},           {BlobDataType::Int8, 8, "int8"},
    {BlobDataType::BFloat16, 16, "bfloat16"},    {BlobDataType::Int16, 16, "int16"},
    {BlobDataType::UInt16, 16, "uint16"},        {BlobDataType::Int4, 4, "int4"},
    {BlobDataType::UInt1, 1, "uint1"},           {BlobDataType::UInt2, 2, "uint2"},
    {BlobDataType::UInt4, 4, "uint4"},           {BlobDataType::UInt3, 3, "uint3"},
    {BlobDataType::UInt6, 6, "uint6"},           {BlobDataType::Int32, 32, "int32"},
    {BlobDataType::UInt32, 32, "uint32"},        {BlobDataType::Float8E4M3FN, 8, "float8e4m3fn"},
    {BlobDataType::Float8E5M2, 8, "float8e5m2"},
};

const DtypeRow* find_row(BlobDataType dtype) {
    const auto code = static_cast<uint32_t>(dtype);
    if (code < 1 || code > 17) return nullptr;
    return &kDtypes[code - 1];  // the table is in code order
}

const DtypeRow& row(BlobDataType dtype) {
    const DtypeRow* r = find_row(dtype);
    if (r == nullptr)
        throw Error(ErrorCode::InvalidArgument,
                    "unknown blob data type code " + std::to_string(static_cast<uint32_t>(dtype)));
    return *r;
}

void require_subbyte(BlobDataType dtype, const char* operation) {
    if (!is_subbyte(dtype))
        throw Error(ErrorCode::InvalidArgument,
                    std::string(operation) + ": " + dtype_name(dtype) + " is not a sub-byte type");
}

// The 256 float8 values, so decoding an array is a table lookup.
template <float (*Decode)(uint8_t)>
const std::array<float, 256>& fp8_table() {
    static const std::array<float, 256> table = [] {
        std::array<float, 256> t{};
        for (unsigned i = 0; i < 256; ++i) t[i] = Decode(static_cast<uint8_t>(i));
        return t;
    }();
    return table;
}

// ---- sub-byte packing ------------------------------------------------------------------

template <typename T>
void check_range(BlobDataType dtype, const T* values, size_t n) {
    const int64_t lo = subbyte_min(dtype), hi = subbyte_max(dtype);
    bool bad = false;
    for (size_t i = 0; i < n; ++i) bad |= (int64_t(values[i]) < lo) | (int64_t(values[i]) > hi);
    if (!bad) return;
    for (size_t i = 0; i < n; ++i) {
        if (int64_t(values[i]) < lo || int64_t(values[i]) > hi)
            throw Error(ErrorCode::InvalidArgument,
                        "value " + std::to_string(int64_t(values[i])) + " at index " + std::to_string(i) +
                            " is out of range for " + dtype_name(dtype) + " (allowed " + std::to_string(lo) +
                            " to " + std::to_string(hi) + ")");
    }
}

// Widths 1, 2 and 4 never straddle a byte, so each output byte is built from whole values.
template <unsigned B, typename T>
void pack_aligned(const T* v, size_t n, uint8_t* out) {
    constexpr unsigned per = 8 / B;
    constexpr uint32_t mask = (1u << B) - 1;
    const size_t full = n / per;
    for (size_t j = 0; j < full; ++j) {
        uint32_t byte = 0;
        for (unsigned k = 0; k < per; ++k) byte |= (uint32_t(v[j * per + k]) & mask) << (k * B);
        out[j] = static_cast<uint8_t>(byte);
    }
    if (n % per) {
        uint32_t byte = 0;
        for (unsigned k = 0; k < n % per; ++k) byte |= (uint32_t(v[full * per + k]) & mask) << (k * B);
        out[full] = static_cast<uint8_t>(byte);
    }
}

template <typename T>
void pack_straddling(unsigned bits, const T* v, size_t n, uint8_t* out) {
    const uint32_t mask = (1u << bits) - 1;
    for (size_t i = 0; i < n; ++i) {
        const size_t bit = i * bits;
        const unsigned shift = bit & 7u;
        const uint32_t u = (uint32_t(v[i]) & mask) << shift;
        out[bit >> 3] |= static_cast<uint8_t>(u);
        if (shift + bits > 8) out[(bit >> 3) + 1] |= static_cast<uint8_t>(u >> 8);
    }
}

template <typename T>
void pack_impl(BlobDataType dtype, const T* values, size_t n, uint8_t* out) {
    require_subbyte(dtype, "pack_subbyte");
    check_range(dtype, values, n);
    const size_t bytes = static_cast<size_t>(packed_size_in_bytes(dtype, n));
    if (bytes) std::memset(out, 0, bytes);
    switch (bits_per_element(dtype)) {
        case 1: pack_aligned<1>(values, n, out); break;
        case 2: pack_aligned<2>(values, n, out); break;
        case 4: pack_aligned<4>(values, n, out); break;
        default: pack_straddling(bits_per_element(dtype), values, n, out); break;
    }
}

template <unsigned B, bool kSigned, typename T>
void unpack_aligned(const uint8_t* p, size_t n, T* out) {
    constexpr unsigned per = 8 / B;
    constexpr uint32_t mask = (1u << B) - 1;
    constexpr int32_t sign_bit = int32_t(1) << (B - 1);
    for (size_t i = 0; i < n; ++i) {
        const uint32_t u = (uint32_t(p[i / per]) >> ((i % per) * B)) & mask;
        out[i] = static_cast<T>(kSigned ? (int32_t(u) ^ sign_bit) - sign_bit : int32_t(u));
    }
}

template <typename T>
void unpack_straddling(unsigned bits, const uint8_t* p, size_t n, T* out) {
    const uint32_t mask = (1u << bits) - 1;
    for (size_t i = 0; i < n; ++i) {
        const size_t bit = i * bits;
        const unsigned shift = bit & 7u;
        uint32_t window = p[bit >> 3];
        // Only touch the next byte when the value really reaches into it (it may not exist).
        if (shift + bits > 8) window |= uint32_t(p[(bit >> 3) + 1]) << 8;
        out[i] = static_cast<T>((window >> shift) & mask);
    }
}

template <typename T>
void unpack_impl(BlobDataType dtype, const uint8_t* packed, size_t n, T* out) {
    require_subbyte(dtype, "unpack_subbyte");
    switch (dtype) {
        case BlobDataType::Int4: unpack_aligned<4, true>(packed, n, out); break;
        case BlobDataType::UInt4: unpack_aligned<4, false>(packed, n, out); break;
        case BlobDataType::UInt2: unpack_aligned<2, false>(packed, n, out); break;
        case BlobDataType::UInt1: unpack_aligned<1, false>(packed, n, out); break;
        default: unpack_straddling(bits_per_element(dtype), packed, n, out); break;
    }
}

template <typename T>
void widen(const uint8_t* src, size_t n, float* dst) {
    for (size_t i = 0; i < n; ++i) {
        T v;
        std::memcpy(&v, src + i * sizeof(T), sizeof(T));
        dst[i] = static_cast<float>(v);
    }
}

}  // namespace

// ---- dtype table -------------------------------------------------------------------------

bool is_known_dtype_code(uint32_t code) { return find_row(static_cast<BlobDataType>(code)) != nullptr; }

unsigned bits_per_element(BlobDataType dtype) { return row(dtype).bits; }

const char* dtype_name(BlobDataType dtype) {
    const DtypeRow* r = find_row(dtype);
    return r ? r->name : "unknown";
}

BlobDataType parse_dtype_name(const std::string& name) {
    for (const auto& r : kDtypes)
        if (name == r.name) return r.dtype;
    static const std::pair<const char*, BlobDataType> aliases[] = {
        {"fp16", BlobDataType::Float16},       {"fp32", BlobDataType::Float32},
        {"float", BlobDataType::Float32},      {"bf16", BlobDataType::BFloat16},
        {"fp8e4m3fn", BlobDataType::Float8E4M3FN}, {"fp8e5m2", BlobDataType::Float8E5M2},
    };
    for (const auto& a : aliases)
        if (name == a.first) return a.second;
    std::string known;
    for (const auto& r : kDtypes) known += std::string(known.empty() ? "" : ", ") + r.name;
    throw Error(ErrorCode::InvalidArgument, "unknown blob data type '" + name + "' (known: " + known + ")");
}

int32_t subbyte_min(BlobDataType dtype) {
    require_subbyte(dtype, "subbyte_min");
    return dtype == BlobDataType::Int4 ? -8 : 0;
}

int32_t subbyte_max(BlobDataType dtype) {
    require_subbyte(dtype, "subbyte_max");
    return dtype == BlobDataType::Int4 ? 7 : (1 << bits_per_element(dtype)) - 1;
}

uint64_t packed_size_in_bytes(BlobDataType dtype, uint64_t n_elements) {
    const uint64_t bits = bits_per_element(dtype);
    return (n_elements / 8) * bits + ((n_elements % 8) * bits + 7) / 8;  // no overflow of n*bits
}

uint64_t padding_bits_for(BlobDataType dtype, uint64_t n_elements) {
    const uint64_t used_in_last_byte = ((n_elements % 8) * bits_per_element(dtype)) % 8;
    return used_in_last_byte ? 8 - used_in_last_byte : 0;
}

// ---- float conversions ---------------------------------------------------------------

// fp16 runs go through the CPU's conversion instructions when it has them (half_simd.cpp).
void fp16_to_fp32(const uint16_t* src, float* dst, size_t n) { detail::half_converters().widen(src, dst, n); }
void fp32_to_fp16(const float* src, uint16_t* dst, size_t n) { detail::half_converters().narrow(src, dst, n); }
const char* fp16_conversion_path() { return detail::half_converters().name; }
void bf16_to_fp32(const uint16_t* src, float* dst, size_t n) {
    for (size_t i = 0; i < n; ++i) dst[i] = bf16_to_fp32(src[i]);
}
void fp32_to_bf16(const float* src, uint16_t* dst, size_t n) {
    for (size_t i = 0; i < n; ++i) dst[i] = fp32_to_bf16(src[i]);
}
void fp8e4m3fn_to_fp32(const uint8_t* src, float* dst, size_t n) {
    const auto& t = fp8_table<&fp8e4m3fn_to_fp32>();
    for (size_t i = 0; i < n; ++i) dst[i] = t[src[i]];
}
void fp32_to_fp8e4m3fn(const float* src, uint8_t* dst, size_t n) {
    for (size_t i = 0; i < n; ++i) dst[i] = fp32_to_fp8e4m3fn(src[i]);
}
void fp8e5m2_to_fp32(const uint8_t* src, float* dst, size_t n) {
    const auto& t = fp8_table<&fp8e5m2_to_fp32>();
    for (size_t i = 0; i < n; ++i) dst[i] = t[src[i]];
}
void fp32_to_fp8e5m2(const float* src, uint8_t* dst, size_t n) {
    for (size_t i = 0; i < n; ++i) dst[i] = fp32_to_fp8e5m2(src[i]);
}

// Byte buffers are not necessarily aligned for 16-bit access, hence the bounce through
// aligned chunks for the 16-bit formats.
void encode_from_float32(BlobDataType dtype, const float* src, size_t n, uint8_t* dst) {
    constexpr size_t kChunk = 1024;
    uint16_t tmp[kChunk];
    switch (dtype) {
        case BlobDataType::Float32:
            if (n) std::memcpy(dst, src, n * sizeof(float));
            return;
        case BlobDataType::Float16:
        case BlobDataType::BFloat16:
            for (size_t i = 0; i < n; i += kChunk) {
                const size_t m = std::min(kChunk, n - i);
                if (dtype == BlobDataType::Float16) fp32_to_fp16(src + i, tmp, m);
                else fp32_to_bf16(src + i, tmp, m);
                std::memcpy(dst + 2 * i, tmp, 2 * m);
            }
            return;
        case BlobDataType::Float8E4M3FN: fp32_to_fp8e4m3fn(src, dst, n); return;
        case BlobDataType::Float8E5M2: fp32_to_fp8e5m2(src, dst, n); return;
        default:
            throw Error(ErrorCode::InvalidArgument, std::string("cannot encode float32 values as ") +
                                                        dtype_name(dtype) + " (not a floating-point type)");
    }
}

void decode_to_float32(BlobDataType dtype, const uint8_t* src, size_t n, float* dst) {
    constexpr size_t kChunk = 1024;
    uint16_t tmp16[kChunk];
    int32_t tmp32[kChunk];
    switch (dtype) {
        case BlobDataType::Float32:
            if (n) std::memcpy(dst, src, n * sizeof(float));
            return;
        case BlobDataType::Float16:
        case BlobDataType::BFloat16:
            for (size_t i = 0; i < n; i += kChunk) {
                const size_t m = std::min(kChunk, n - i);
                std::memcpy(tmp16, src + 2 * i, 2 * m);
                if (dtype == BlobDataType::Float16) fp16_to_fp32(tmp16, dst + i, m);
                else bf16_to_fp32(tmp16, dst + i, m);
            }
            return;
        case BlobDataType::Float8E4M3FN: fp8e4m3fn_to_fp32(src, dst, n); return;
        case BlobDataType::Float8E5M2: fp8e5m2_to_fp32(src, dst, n); return;
        case BlobDataType::UInt8: widen<uint8_t>(src, n, dst); return;
        case BlobDataType::Int8: widen<int8_t>(src, n, dst); return;
        case BlobDataType::UInt16: widen<uint16_t>(src, n, dst); return;
        case BlobDataType::Int16: widen<int16_t>(src, n, dst); return;
        case BlobDataType::UInt32: widen<uint32_t>(src, n, dst); return;
        case BlobDataType::Int32: widen<int32_t>(src, n, dst); return;
        default:
            break;
    }
    require_subbyte(dtype, "decode_to_float32");
    // Chunks of a multiple of 8 elements always start on a byte boundary.
    for (size_t i = 0; i < n; i += kChunk) {
        const size_t m = std::min(kChunk, n - i);
        unpack_impl(dtype, src + i * bits_per_element(dtype) / 8, m, tmp32);
        for (size_t k = 0; k < m; ++k) dst[i + k] = static_cast<float>(tmp32[k]);
    }
}

// ---- sub-byte packing ------------------------------------------------------------------

void pack_subbyte(BlobDataType dtype, const int64_t* values, size_t n, uint8_t* out) {
    pack_impl(dtype, values, n, out);
}
void pack_subbyte(BlobDataType dtype, const int32_t* values, size_t n, uint8_t* out) {
    pack_impl(dtype, values, n, out);
}
void pack_subbyte(BlobDataType dtype, const int8_t* values, size_t n, uint8_t* out) {
    pack_impl(dtype, values, n, out);
}
void pack_subbyte(BlobDataType dtype, const uint8_t* values, size_t n, uint8_t* out) {
    pack_impl(dtype, values, n, out);
}

void unpack_subbyte(BlobDataType dtype, const uint8_t* packed, size_t n, int32_t* out) {
    unpack_impl(dtype, packed, n, out);
}
void unpack_subbyte(BlobDataType dtype, const uint8_t* packed, size_t n, int8_t* out) {
    unpack_impl(dtype, packed, n, out);
}
void unpack_subbyte(BlobDataType dtype, const uint8_t* packed, size_t n, uint8_t* out) {
    if (dtype == BlobDataType::Int4)
        throw Error(ErrorCode::InvalidArgument, "unpack_subbyte: int4 values are signed; unpack into int8 or int32");
    unpack_impl(dtype, packed, n, out);
}

}  // namespace opencoreml::blob
