// opencoreml ML program ops: stream keys and normal variates for the random_* ops.
#include "mil/ops/elementwise/random_stream.hpp"

#include <atomic>
#include <chrono>
#include <cmath>
#include <random>

namespace opencoreml::mil::random {

uint64_t stream_key(int64_t seed) {
    if (seed != -1) return bits(0x5EED5EED5EED5EEDull, static_cast<uint64_t>(seed));
    // Unseeded: a per-process random base, a call counter and the clock, so concurrent
    // predicts get different streams without sharing mutable generator state.
    static const uint64_t base = (uint64_t{std::random_device{}()} << 32) ^ std::random_device{}();
    static std::atomic<uint64_t> calls{0};
    const uint64_t now = static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
    return bits(base ^ now, calls.fetch_add(1, std::memory_order_relaxed));
}

double standard_normal(uint64_t key, uint64_t index) {
    const uint64_t pair = index / 2;
    const double u1 = 1.0 - uniform(key, 2 * pair);  // (0, 1]: log stays finite
    const double u2 = uniform(key, 2 * pair + 1);
    const double radius = std::sqrt(-2.0 * std::log(u1));
    const double angle = 6.283185307179586476925 * u2;
    return radius * ((index & 1) ? std::sin(angle) : std::cos(angle));
}

}  // namespace opencoreml::mil::random
