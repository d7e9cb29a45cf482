// opencoreml ML program ops: what lstm, gru and rnn share — activation and direction parsing,
// weights prepared once at load (transposed so projections are sums of contiguous rows, which
// vectorise), the input projection of every time step at once (one GEMM), the per-step
// recurrent product (a vectorised matrix-vector product for a few rows, else GEMM) and the
// gate activations (kernels/vec_math).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "mil/op_api.hpp"
#include "mil/thread_pool.hpp"

namespace opencoreml::mil::recurrent {

enum class Activation { Sigmoid, Tanh, Relu, Linear, HardSigmoid, ScaledTanh };

// Reads activation parameter `param` (case-insensitive; "hard_sigmoid" and "sigmoid_hard" are
// the same function), `fallback` when absent.
Activation parse_activation(const BuildContext& ctx, const std::string& param, const std::string& fallback);
// v[i] = f(v[i]) for i < n. hard_sigmoid is MIL's default min(max(0.2 x + 0.5, 0), 1) and
// scaled_tanh its default tanh(x) (alpha = beta = 1).
void apply_activation(Activation f, float* v, int64_t n);

enum class Direction { Forward, Reverse, Bidirectional };
Direction parse_direction(const BuildContext& ctx, bool allow_bidirectional);

// A constant [out, in] weight matrix stored transposed as [in, out].
struct WeightT {
    int64_t in = 0, out = 0;
    std::vector<float> t;
};
// Loads constant `param`, checking it is [rows, cols] when those are >= 0.
WeightT load_weight(const BuildContext& ctx, const std::string& param, int64_t rows, int64_t cols);
// Hidden size H and input size I from the constant weight_hh ([gates * H, H]) and weight_ih
// ([gates * H, I]), whose shapes are checked.
struct RecurrentSizes {
    int64_t hidden = 0, input = 0;
};
RecurrentSizes recurrent_sizes(const BuildContext& ctx, int64_t gates);
// A constant vector of `size` floats, zeros when the parameter is absent.
std::vector<float> load_vector(const BuildContext& ctx, const std::string& param, int64_t size);

// y[r, :] = bias + x[r, :] . W^T for `rows` rows of x ([rows, w.in]) into y ([rows, w.out]):
// the input projection of every time step in one matrix product.
void project_rows(const float* x, int64_t rows, const WeightT& w, const float* bias, float* y, ThreadPool& pool);
// y[r, j - col0] += sum_k h[r, k] * W^T[k, j] for `rows` rows of h ([rows, w.in]) and columns
// j in [col0, col1); y's rows are `ldy` floats apart. The recurrent product of one time step.
void accumulate_product(const float* h, int64_t rows, const WeightT& w, int64_t col0, int64_t col1, float* y,
                        int64_t ldy, ThreadPool& pool);

// Checks x is [S, B, I] and an initial state is [B, width]; names the op on failure.
void check_sequence_input(RunContext& ctx, const Tensor& x, int64_t input_size);
void check_state(RunContext& ctx, const char* name, const Tensor& state, int64_t batch, int64_t width);

// Runs fn(b) for each batch row, in parallel when the per-row work is large enough. A template
// so the per-step call of a batch-1 recurrence neither wraps nor allocates a std::function.
template <class Fn>
void for_each_row(ThreadPool& pool, int64_t rows, int64_t work_per_row, const Fn& fn) {
    if (rows > 1 && rows * work_per_row >= 65536) {
        pool.parallel_for(rows, 1, [&](int64_t begin, int64_t end) {
            for (int64_t r = begin; r < end; ++r) fn(r);
        });
    } else {
        for (int64_t r = 0; r < rows; ++r) fn(r);
    }
}

}  // namespace opencoreml::mil::recurrent
