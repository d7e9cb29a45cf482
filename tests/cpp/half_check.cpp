// Test driver for tests/test_fp16_conversion_cpp.py: compares the run-time chosen fp16 <-> fp32
// array routines (format/half_simd.hpp: F16C, NEON or scalar) with the scalar loops on every
// half, and on every float32 high half-word combined with 64 low half-words (ties, the bits
// around them, random), over several run lengths and offsets. With "ftz" as argument it first
// sets the x86 flush-to-zero and denormals-are-zero bits, as -ffast-math start-up code does.
// Prints "<path> <mismatches>".
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "format/half_simd.hpp"
#include "opencoreml/blob_codec.hpp"

#if defined(__x86_64__) || defined(__i386__)
#include <xmmintrin.h>
#endif

using opencoreml::blob::detail::half_converters;
using opencoreml::blob::detail::narrow_half_scalar;
using opencoreml::blob::detail::widen_half_scalar;

int main(int argc, char** argv) {
    if (argc > 1 && std::string(argv[1]) == "ftz") {
#if defined(__x86_64__) || defined(__i386__)
        _mm_setcsr(_mm_getcsr() | 0x8040);
#endif
    }
    const auto& conv = half_converters();
    long mismatches = 0;

    std::vector<uint16_t> halves(65536);
    for (uint32_t i = 0; i < 65536; ++i) halves[i] = static_cast<uint16_t>(i);
    std::vector<float> got(65536), want(65536);
    widen_half_scalar(halves.data(), want.data(), halves.size());
    for (size_t offset : {0, 1, 7}) {
        for (size_t n : {size_t(65536) - offset, size_t(5), size_t(31), size_t(33)}) {
            std::fill(got.begin(), got.end(), 0.0f);
            conv.widen(halves.data() + offset, got.data(), n);
            if (std::memcmp(got.data(), want.data() + offset, n * sizeof(float)) != 0) ++mismatches;
        }
    }

    std::vector<uint32_t> lows = {0x0000, 0x0001, 0x0fff, 0x1000, 0x1001, 0x1fff, 0x2000, 0x2001,
                                  0x3000, 0x7fff, 0x8000, 0xffff, 0xe000, 0xf000, 0x17ff, 0x1800};
    std::mt19937 rng(16);
    while (lows.size() < 64) lows.push_back(rng() & 0xffffu);
    std::vector<float> floats;
    floats.reserve(65536 * lows.size());
    for (uint32_t hi = 0; hi < 65536; ++hi)
        for (uint32_t lo : lows) {
            const uint32_t bits = (hi << 16) | lo;
            float f;
            std::memcpy(&f, &bits, sizeof f);
            floats.push_back(f);
        }
    std::vector<uint16_t> h_got(floats.size()), h_want(floats.size());
    narrow_half_scalar(floats.data(), h_want.data(), floats.size());
    conv.narrow(floats.data(), h_got.data(), floats.size());
    for (size_t i = 0; i < floats.size(); ++i) mismatches += h_got[i] != h_want[i];
    for (size_t offset : {1, 3})
        for (size_t n : {size_t(1), size_t(9), size_t(47), size_t(1000)}) {
            std::vector<uint16_t> part(n);
            conv.narrow(floats.data() + offset, part.data(), n);
            if (std::memcmp(part.data(), h_want.data() + offset, n * sizeof(uint16_t)) != 0) ++mismatches;
        }

    std::printf("%s %ld\n", conv.name, mismatches);
    return 0;
}
