// opencoreml ML program compression ops: palette lookup and sparse (de)scatter (see decompress.hpp).
#include "mil/ops/compression/decompress.hpp"

#include <cstring>
#include <vector>

#include "mil/ops/compression/element_copy.hpp"

namespace opencoreml::mil::compression {

Shape lut_output_shape(const Shape& indices_shape, int64_t vector_size, int64_t vector_axis) {
    Shape out = indices_shape;
    if (vector_size > 1) out[static_cast<size_t>(vector_axis)] *= vector_size;
    return out;
}

namespace {

template <typename T>
void lut_decode_typed(const uint8_t* indices, const Shape& ishape, const T* lut, const Shape& lshape, int64_t vector_axis,
                      T* out) {
    const size_t rank = ishape.size();
    const int64_t palettes = lshape[rank], vs = lshape[rank + 1], entry = palettes * vs;
    std::vector<int64_t> block(rank), gstride(rank, 1), ostride(rank, 1), idx(rank, 0);
    const Shape oshape = lut_output_shape(ishape, vs, vector_axis);
    for (size_t d = 0; d < rank; ++d) block[d] = ishape[d] / lshape[d];
    for (size_t d = rank - 1; d > 0; --d) {
        gstride[d - 1] = gstride[d] * lshape[d];
        ostride[d - 1] = ostride[d] * oshape[d];
    }
    const int64_t count = shape_numel(ishape), last = ishape[rank - 1];
    // Walk rows of the last axis; the palette group changes along it only every block[-1].
    for (int64_t start = 0; start < count; start += last) {
        int64_t group = 0, obase = 0;
        for (size_t d = 0; d + 1 < rank; ++d) {
            group += (idx[d] / block[d]) * gstride[d];
            obase += idx[d] * (static_cast<int64_t>(d) == vector_axis ? vs : 1) * ostride[d];
        }
        const bool vec_last = vs > 1 && vector_axis == static_cast<int64_t>(rank) - 1;
        for (int64_t j = 0; j < last; ++j) {
            const T* e = lut + (group + j / block[rank - 1]) * entry + static_cast<int64_t>(indices[start + j]) * vs;
            if (vs == 1) {
                out[start + j] = e[0];
            } else if (vec_last) {
                for (int64_t v = 0; v < vs; ++v) out[obase + j * vs + v] = e[v];
            } else {
                const int64_t step = ostride[static_cast<size_t>(vector_axis)];
                for (int64_t v = 0; v < vs; ++v) out[obase + j + v * step] = e[v];
            }
        }
        for (size_t d = rank - 1; d-- > 0;) {
            if (++idx[d] < ishape[d]) break;
            idx[d] = 0;
        }
    }
}

}  // namespace

std::string lut_decode(const uint8_t* indices, const Shape& indices_shape, const void* lut, const Shape& lut_shape,
                       int64_t vector_axis, size_t elem_size, void* out) {
    const size_t rank = indices_shape.size();
    if (rank == 0) return "indices must have rank at least 1";
    if (lut_shape.size() != rank + 2)
        return "lut must have 2 more dimensions than indices, got lut " + shape_to_string(lut_shape) + " for indices " +
               shape_to_string(indices_shape);
    for (size_t d = 0; d < rank; ++d)
        if (lut_shape[d] <= 0 || indices_shape[d] % lut_shape[d] != 0)
            return "lut's group dimensions " + shape_to_string(lut_shape) + " must divide the indices' shape " +
                   shape_to_string(indices_shape);
    const int64_t palettes = lut_shape[rank], vs = lut_shape[rank + 1];
    if (vs > 1 && (vector_axis < 0 || vector_axis >= static_cast<int64_t>(rank))) return "vector_axis is required and must be a valid axis";
    const int64_t count = shape_numel(indices_shape);
    for (int64_t i = 0; i < count; ++i)
        if (indices[i] >= palettes) return "palette index " + std::to_string(indices[i]) + " is outside the lut of " + std::to_string(palettes) + " entries";
    if (count == 0) return "";
    with_element_type(elem_size, [&](auto t) {
        using T = decltype(t);
        lut_decode_typed(indices, indices_shape, static_cast<const T*>(lut), lut_shape, vector_axis, static_cast<T*>(out));
    });
    return "";
}

int64_t count_present(const uint8_t* mask, int64_t count) {
    int64_t n = 0;
    for (int64_t i = 0; i < count; ++i) n += mask[i] != 0;
    return n;
}

bool densify(const uint8_t* mask, int64_t count, const void* nonzero, int64_t nonzero_count, size_t elem_size, void* out) {
    if (count_present(mask, count) != nonzero_count) return false;
    with_element_type(elem_size, [&](auto t) {
        using T = decltype(t);
        const T* src = static_cast<const T*>(nonzero);
        T* dst = static_cast<T*>(out);
        int64_t k = 0;
        for (int64_t i = 0; i < count; ++i) dst[i] = mask[i] ? src[k++] : T{0};
    });
    return true;
}

void gather_present(const uint8_t* mask, int64_t count, const void* dense, size_t elem_size, void* out) {
    with_element_type(elem_size, [&](auto t) {
        using T = decltype(t);
        const T* src = static_cast<const T*>(dense);
        T* dst = static_cast<T*>(out);
        int64_t k = 0;
        for (int64_t i = 0; i < count; ++i)
            if (mask[i]) dst[k++] = src[i];
    });
}

}  // namespace opencoreml::mil::compression
