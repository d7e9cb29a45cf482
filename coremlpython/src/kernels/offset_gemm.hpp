// opencoreml kernels: the register-tiled product behind opencoreml's own convolutions.
//
// C[mr rows, nr columns] = A_block[K, mr]^T * B, where row k of B is read at b + offsets[k]
// (nr contiguous floats). Convolutions pass one offset per (input channel, kernel tap) into a
// padded copy of their input, so the product reads the image in place: no im2col matrix and
// no packing of the right-hand side. A (the weights) is packed once, at load, into blocks of
// mr rows stored k-major, so each step of the K loop broadcasts mr consecutive floats.
//
// The tile shape follows the widest instruction set the CPU has (chosen at run time, like
// vec_math): AVX-512 12 or 8 rows x 32 or 16 columns, AVX2 and the baseline 6 or 4 rows x 2W
// or W columns.
#pragma once

#include <cstdint>
#include <vector>

namespace opencoreml::kernels {

struct OffsetGemmGeometry {
    int mr = 0;         // rows (output channels) per block, the usual choice
    int mr_narrow = 0;  // the other block height the kernel has
    int lanes = 0;      // floats per vector; a tile has 1 or 2 vectors of columns
};

// The geometry for this CPU (fixed for the life of the process).
OffsetGemmGeometry offset_gemm_geometry();

// The block height for M rows: the one that pads fewer rows (the wide one on a tie).
int offset_gemm_rows(int64_t M);

// Packs rows [M, K] (row stride lda) into ceil(M / mr) blocks of [K][mr], zero past row M.
std::vector<float> offset_gemm_pack(const float* a, int64_t M, int64_t K, int64_t lda, int mr);

struct OffsetGemmTile {
    int mr = 0;                       // block height A was packed with (a geometry's mr or mr_narrow)
    int64_t K = 0;
    const float* a = nullptr;         // first packed block; `blocks` blocks follow each other
    int64_t blocks = 0;
    int64_t rows = 0;                 // rows in all those blocks (the last may be partial)
    const float* b = nullptr;         // row k of B starts at b + offsets[k]
    const int64_t* offsets = nullptr;
    int vectors = 2;                  // columns = vectors * lanes (1 or 2)
    int64_t cols = INT64_MAX;         // columns stored (fewer than vectors * lanes: the rest dropped)
    float* c = nullptr;               // row r at c + r * ldc; only `rows` rows are written
    int64_t ldc = 0;
    const float* bias = nullptr;      // per row, or null for 0
    const float* residual = nullptr;  // added before the clamp, laid out like c (or null)
    float lo = 0, hi = 0;             // result clamped to [lo, hi] (+-inf: no clamp)
};

// Computes the tile for every block: rows [i * mr, (i + 1) * mr) of C from block i.
void offset_gemm(const OffsetGemmTile& t);

}  // namespace opencoreml::kernels
