// opencoreml blob storage: the element types a weight file can hold, and conversions
// between their stored encodings and plain numbers (half/bfloat/fp8 <-> float32, sub-byte
// bit packing). Scalar conversions are inline so kernels can use them per element; the
// array versions are loops (fp16 ones use the CPU's conversion instructions when present).
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace opencoreml::blob {

// Codes as stored in a blob record (these differ from MIL.proto's DataType numbers).
enum class BlobDataType : uint32_t {
    Float16 = 1,
    Float32 = 2,
    UInt8 = 3,
    Int8 = 4,
    BFloat16 = 5,
    Int16 = 6,
    UInt16 = 7,
    Int4 = 8,
    UInt1 = 9,
    UInt2 = 10,
    UInt4 = 11,
    UInt3 = 12,
    UInt6 = 13,
    Int32 = 14,
    UInt32 = 15,
    Float8E4M3FN = 16,
    Float8E5M2 = 17,
};

bool is_known_dtype_code(uint32_t code);
unsigned bits_per_element(BlobDataType dtype);   // 1..32
inline bool is_subbyte(BlobDataType dtype) { return bits_per_element(dtype) < 8; }
// Lower-case names: "float16", "float32", "bfloat16", "float8e4m3fn", "float8e5m2",
// "int4", "uint1", ..., "uint32".
const char* dtype_name(BlobDataType dtype);
// Inverse of dtype_name; also accepts "fp16", "fp32", "float", "bf16", "fp8e4m3fn" and
// "fp8e5m2". Throws opencoreml::Error(InvalidArgument) for anything else.
BlobDataType parse_dtype_name(const std::string& name);

// Sub-byte value range ([-8, 7] for int4, [0, 2^n - 1] for uintN). Only for sub-byte types.
int32_t subbyte_min(BlobDataType dtype);
int32_t subbyte_max(BlobDataType dtype);
// Stored size of n elements (ceil(n * bits / 8)) and the unused bits in the last byte.
uint64_t packed_size_in_bytes(BlobDataType dtype, uint64_t n_elements);
uint64_t padding_bits_for(BlobDataType dtype, uint64_t n_elements);

// ---------------------------------------------------------------------------------------
// Scalar conversions. Narrowing rounds to nearest, ties to even. Overflow gives infinity
// (float16, bfloat16, float8e5m2) or NaN (float8e4m3fn has no infinity); NaN stays NaN.

namespace detail {

inline uint32_t bits_of(float f) {
    uint32_t u;
    std::memcpy(&u, &f, sizeof u);
    return u;
}
inline float float_of(uint32_t u) {
    float f;
    std::memcpy(&f, &u, sizeof f);
    return f;
}

// Round a float32 to a binary format with kExp exponent bits and kMant mantissa bits
// (IEEE-style bias). kFiniteOnly: the all-ones pattern is the only NaN and there is no
// infinity (the "FN" float8 variant). Returns the pattern without its sign in the low
// kExp+kMant bits, sign at bit kExp+kMant.
template <int kExp, int kMant, bool kFiniteOnly>
inline uint32_t narrow_float(float f) {
    constexpr int kBias = (1 << (kExp - 1)) - 1;
    constexpr uint32_t kSignBit = 1u << (kExp + kMant);
    constexpr uint32_t kInfCode = ((1u << kExp) - 1) << kMant;
    constexpr uint32_t kAllOnes = kSignBit - 1;
    constexpr uint32_t kQuietNaN = kFiniteOnly ? kAllOnes : (kInfCode | (1u << (kMant - 1)));
    constexpr uint32_t kMinNormal = uint32_t(127 + 1 - kBias) << 23;

    const uint32_t x = bits_of(f);
    const uint32_t sign = (x >> 31) ? kSignBit : 0u;
    const uint32_t a = x & 0x7fffffffu;
    if (a > 0x7f800000u) return sign | kQuietNaN | ((a >> (23 - kMant)) & (kAllOnes >> kExp));
    if (a == 0x7f800000u) return sign | (kFiniteOnly ? kAllOnes : kInfCode);

    uint32_t r;
    if (a < kMinNormal) {
        // Subnormal in the target: count units of the smallest subnormal, 2^(1-bias-mant).
        const int e = static_cast<int>(a >> 23);
        const int shift = 151 - kBias - kMant - e;
        if (shift > 24) return sign;  // below half the smallest subnormal (or a float32 denormal)
        const uint32_t mant = (a & 0x7fffffu) | 0x800000u;
        const uint32_t q = mant >> shift;
        const uint32_t rem = mant & ((1u << shift) - 1);
        const uint32_t half = 1u << (shift - 1);
        r = q + ((rem > half) | ((rem == half) & (q & 1u)));
    } else {
        constexpr int s = 23 - kMant;
        const uint32_t rebased = a - (uint32_t(127 - kBias) << 23);
        r = (rebased + ((1u << (s - 1)) - 1) + ((rebased >> s) & 1u)) >> s;
    }
    if (kFiniteOnly) {
        if (r >= kAllOnes) return sign | kAllOnes;
    } else if (r >= kInfCode) {
        return sign | kInfCode;
    }
    return sign | r;
}

}  // namespace detail

inline float fp16_to_fp32(uint16_t h) {
    const uint32_t em = (uint32_t(h) & 0x7fffu) << 13;
    const uint32_t exp = em & 0x0f800000u;
    uint32_t r = em + (112u << 23);
    if (exp == 0x0f800000u) {
        r += 112u << 23;  // infinity / NaN: exponent 143 -> 255
    } else if (exp == 0) {
        // Subnormal: treat as normal with exponent -14 and subtract the implicit 2^-14.
        r = detail::bits_of(detail::float_of(r + (1u << 23)) - detail::float_of(113u << 23));
    }
    return detail::float_of(r | ((uint32_t(h) & 0x8000u) << 16));
}
inline uint16_t fp32_to_fp16(float f) { return static_cast<uint16_t>(detail::narrow_float<5, 10, false>(f)); }

// double -> float32 rounded to odd (truncated toward zero, the last mantissa bit set when
// anything was dropped; exact values, infinities and NaN convert as usual). Rounding that
// float32 again to fp16 or bf16 (to nearest even) then gives exactly the value nearest the
// double, where rounding to nearest twice can land on a tie and go the wrong way: float32
// keeps at least two more significant bits than either (Boldo & Melquiond, "When double
// rounding is odd", 2005), through subnormals and overflow alike.
inline float fp64_to_fp32_odd(double v) {
    float f = static_cast<float>(v);
    const double back = static_cast<double>(f);
    if (back == v || v != v) return f;
    if ((back < 0 ? -back : back) > (v < 0 ? -v : v)) f = std::nextafter(f, 0.0f);  // toward zero
    return detail::float_of(detail::bits_of(f) | 1u);
}

inline uint16_t fp64_to_fp16(double v) { return fp32_to_fp16(fp64_to_fp32_odd(v)); }

inline float bf16_to_fp32(uint16_t b) { return detail::float_of(uint32_t(b) << 16); }
inline uint16_t fp32_to_bf16(float f) {
    const uint32_t x = detail::bits_of(f);
    if ((x & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((x >> 16) | 0x0040u);
    return static_cast<uint16_t>((x + 0x7fffu + ((x >> 16) & 1u)) >> 16);
}
inline uint16_t fp64_to_bf16(double v) { return fp32_to_bf16(fp64_to_fp32_odd(v)); }

// float8 E4M3FN: bias 7, max 448, S.1111.111 is NaN, no infinity.
inline float fp8e4m3fn_to_fp32(uint8_t b) {
    const uint32_t sign = uint32_t(b & 0x80u) << 24;
    const uint32_t e = (b >> 3) & 0xfu, m = b & 7u;
    if (e == 0xfu && m == 7u) return detail::float_of(sign | 0x7fc00000u);
    if (e == 0) return detail::float_of(detail::bits_of(float(m) * 0x1p-9f) | sign);
    return detail::float_of(sign | ((e + 120u) << 23) | (m << 20));
}
inline uint8_t fp32_to_fp8e4m3fn(float f) { return static_cast<uint8_t>(detail::narrow_float<4, 3, true>(f)); }

// float8 E5M2: bias 15, IEEE-like (exponent 31 is infinity or NaN).
inline float fp8e5m2_to_fp32(uint8_t b) {
    const uint32_t sign = uint32_t(b & 0x80u) << 24;
    const uint32_t e = (b >> 2) & 0x1fu, m = b & 3u;
    if (e == 0x1fu) return detail::float_of(sign | 0x7f800000u | (m << 21) | (m ? 0x400000u : 0u));
    if (e == 0) return detail::float_of(detail::bits_of(float(m) * 0x1p-16f) | sign);
    return detail::float_of(sign | ((e + 112u) << 23) | (m << 21));
}
inline uint8_t fp32_to_fp8e5m2(float f) { return static_cast<uint8_t>(detail::narrow_float<5, 2, false>(f)); }

// ---------------------------------------------------------------------------------------
// Array conversions (src and dst hold n elements each).

void fp16_to_fp32(const uint16_t* src, float* dst, size_t n);
void fp32_to_fp16(const float* src, uint16_t* dst, size_t n);
// Which routine the two above use on this CPU: "f16c" (x86-64 with F16C and AVX2), "neon"
// (aarch64) or "scalar". All give the scalar conversions' exact bits.
const char* fp16_conversion_path();
void bf16_to_fp32(const uint16_t* src, float* dst, size_t n);
void fp32_to_bf16(const float* src, uint16_t* dst, size_t n);
void fp8e4m3fn_to_fp32(const uint8_t* src, float* dst, size_t n);
void fp32_to_fp8e4m3fn(const float* src, uint8_t* dst, size_t n);
void fp8e5m2_to_fp32(const uint8_t* src, float* dst, size_t n);
void fp32_to_fp8e5m2(const float* src, uint8_t* dst, size_t n);

// Encodes float32 values as `dtype` (Float32, Float16, BFloat16 or a float8 type) into
// `dst`, which must hold n * bits_per_element(dtype) / 8 bytes.
void encode_from_float32(BlobDataType dtype, const float* src, size_t n, uint8_t* dst);
// Decodes n stored elements of any dtype (integers and sub-byte types included) to float32.
// `src` is the blob data: at least packed_size_in_bytes(dtype, n) bytes.
void decode_to_float32(BlobDataType dtype, const uint8_t* src, size_t n, float* dst);

// ---------------------------------------------------------------------------------------
// Sub-byte packing: element i occupies bits i*b .. i*b+b-1 of a little-endian bit stream
// (stream bit k is bit k%8 of byte k/8). Packing checks every value against the type's
// range and throws opencoreml::Error(InvalidArgument) naming the first bad value and its
// index. `out` must hold packed_size_in_bytes(dtype, n) bytes; padding bits are zero.

void pack_subbyte(BlobDataType dtype, const int64_t* values, size_t n, uint8_t* out);
void pack_subbyte(BlobDataType dtype, const int32_t* values, size_t n, uint8_t* out);
void pack_subbyte(BlobDataType dtype, const int8_t* values, size_t n, uint8_t* out);
void pack_subbyte(BlobDataType dtype, const uint8_t* values, size_t n, uint8_t* out);
template <typename T>
std::vector<uint8_t> pack_subbyte(BlobDataType dtype, const T* values, size_t n) {
    std::vector<uint8_t> out(static_cast<size_t>(packed_size_in_bytes(dtype, n)));
    pack_subbyte(dtype, values, n, out.data());
    return out;
}

// Reads n elements from `packed` (packed_size_in_bytes(dtype, n) bytes). Int4 is sign
// extended. Unpacking into uint8_t is refused for int4 (InvalidArgument).
void unpack_subbyte(BlobDataType dtype, const uint8_t* packed, size_t n, int32_t* out);
void unpack_subbyte(BlobDataType dtype, const uint8_t* packed, size_t n, int8_t* out);
void unpack_subbyte(BlobDataType dtype, const uint8_t* packed, size_t n, uint8_t* out);

}  // namespace opencoreml::blob
