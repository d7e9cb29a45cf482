// opencoreml ML program compression ops: the element-moving halves of palettization and
// sparsity, shared by the iOS16 and iOS18 constexpr ops. Elements are moved as raw bytes of
// `elem_size`, so int8/uint8/fp16/fp32 values pass through unchanged.
#pragma once

#include <cstdint>
#include <string>

#include "opencoreml/tensor.hpp"

namespace opencoreml::mil::compression {

// Output shape of a palette lookup: `indices_shape` with the vector axis grown VECTOR_SIZE times.
Shape lut_output_shape(const Shape& indices_shape, int64_t vector_size, int64_t vector_axis);

// Palette lookup (iOS18 form, which also covers iOS16's single palette): `indices` holds one
// palette index per element; `lut` is [groups..., NUM_PALETTES, VECTOR_SIZE] where the group
// dims (same rank as indices) each divide the indices' dims, so element (i0, .., ik) uses
// palette (i0 / block0, .., ik / blockk). VECTOR_SIZE > 1 writes each entry's vector along
// `vector_axis` (non-negative). `out` has lut_output_shape(). Returns an error message, or "".
std::string lut_decode(const uint8_t* indices, const Shape& indices_shape, const void* lut, const Shape& lut_shape,
                       int64_t vector_axis, size_t elem_size, void* out);

// Dense tensor from a mask (one byte per element, nonzero = present) and the present values in
// memory order; absent elements are zero bytes. Returns false when the count of present
// elements differs from `nonzero_count`.
bool densify(const uint8_t* mask, int64_t count, const void* nonzero, int64_t nonzero_count, size_t elem_size, void* out);

// The present elements of a dense tensor, in memory order: inverse of densify.
void gather_present(const uint8_t* mask, int64_t count, const void* dense, size_t elem_size, void* out);

// Number of nonzero bytes in a mask.
int64_t count_present(const uint8_t* mask, int64_t count);

}  // namespace opencoreml::mil::compression
