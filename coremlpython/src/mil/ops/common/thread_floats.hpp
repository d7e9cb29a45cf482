// opencoreml ML program ops: per-thread float32 work buffers that persist across calls. Kernels
// that work through cache-sized panels on pool threads take them from here instead of
// allocating per call: a fresh large std::vector is a fresh mmap, whose page faults cost more
// than the panel work. Buffers grow to the largest size asked for on that thread and are
// freed when the thread ends. Each caller uses its own slots, and must not hold a slot
// across a call that could use the same slot.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace opencoreml::mil {

enum ThreadFloatSlot : int {
    kSlotDepthwiseIn,
    kSlotDepthwiseOut,
    kSlotDepthwisePad,
    kSlotPoolRow,
    kSlotDepthwiseGrid,
    kSlotConvPlanes,
    kSlotConvPanels,
    kSlotRowIn,
    kThreadFloatSlots
};

// A 64-byte aligned buffer of at least n floats (whole cache lines: BLAS and vector loops
// run measurably slower on rows that straddle them).
inline float* thread_floats(ThreadFloatSlot slot, size_t n) {
    constexpr size_t kAlignFloats = 16;
    thread_local std::vector<float> buffers[kThreadFloatSlots];
    std::vector<float>& b = buffers[slot];
    if (b.size() < n + kAlignFloats) b.resize(n + kAlignFloats);
    const uintptr_t at = reinterpret_cast<uintptr_t>(b.data());
    return b.data() + ((64 - at % 64) % 64) / sizeof(float);
}

}  // namespace opencoreml::mil
