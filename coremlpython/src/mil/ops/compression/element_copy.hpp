// opencoreml ML program compression ops: decompression moves whole elements of whatever dtype the
// palette or the nonzero values have (int8, uint8, fp16, fp32) without converting them. Kernels
// are written once over an unsigned integer of the element's width and dispatched by size here.
#pragma once

#include <cstddef>
#include <cstdint>

namespace opencoreml::mil::compression {

// Calls fn(T{}) with T the unsigned integer type of `elem_size` bytes (1, 2, 4 or 8).
template <typename Fn>
void with_element_type(size_t elem_size, Fn&& fn) {
    switch (elem_size) {
        case 1: fn(uint8_t{}); break;
        case 2: fn(uint16_t{}); break;
        case 4: fn(uint32_t{}); break;
        default: fn(uint64_t{}); break;
    }
}

}  // namespace opencoreml::mil::compression
