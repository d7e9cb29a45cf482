// opencoreml ML program ops: the random numbers of the random_* ops. A stream is a 64-bit
// key; element i of a stream is a hash of (key, i) (SplitMix64's output function over its
// counter), so any element can be computed independently: kernels stay const, fill outputs
// in parallel, and a given seed reproduces the same values on every predict. Seed -1 asks
// for a fresh, unpredictable stream on each call.
#pragma once

#include <cstdint>

namespace opencoreml::mil::random {

// The stream of `seed`, or a new nondeterministic stream when seed == -1.
uint64_t stream_key(int64_t seed);

inline uint64_t bits(uint64_t key, uint64_t index) {
    uint64_t z = key + (index + 1) * 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

// Uniform in [0, 1) with 53 random bits.
inline double uniform(uint64_t key, uint64_t index) { return static_cast<double>(bits(key, index) >> 11) * 0x1p-53; }

// Standard normal (Box-Muller): elements 2k and 2k+1 are the two values of pair k.
double standard_normal(uint64_t key, uint64_t index);

}  // namespace opencoreml::mil::random
