// opencoreml neural networks: op patterns many layer translations share — reshapes that
// keep run-time dims (leading batch dims, "the rest"), moving a blob to and from the
// [N, C, H, W] layout MIL's channel ops expect (NN layers treat every dim before -3 as
// batch), casts, and elementwise ops with numpy broadcasting. Each records the output's
// rank and whatever dims are known at load.
#pragma once

#include <string>
#include <vector>

#include "nn/layer_context.hpp"

namespace opencoreml::nn {

// numpy broadcasting of two shapes (-1 where a dim is unknown).
Shape broadcast_shape(const Shape& a, const Shape& b);
// `axis` in [-rank, rank) as a non-negative axis; fails naming the layer otherwise.
int64_t normalize_axis(const LayerContext& ctx, int64_t axis, int64_t rank);

// MIL reshape (iOS17 rules): one -1 is inferred and a 0 copies the dim of x at the same
// position counted from the right.
Var reshape(LayerContext& ctx, const Var& x, const std::vector<int64_t>& target);
// y viewed as ref.shape[:lead] + y.shape[skip:] (run-time dims of both).
Var keep_lead(LayerContext& ctx, const Var& y, const Var& ref, int64_t lead, int64_t skip);
// x as [N, C, H, W] with N the product of every dim before -3 (missing dims become 1), and
// back: y (rank 4) with the leading dims of `like` restored.
Var to_nchw(LayerContext& ctx, const Var& x);
Var from_nchw(LayerContext& ctx, const Var& y, const Var& like);

Var cast(LayerContext& ctx, const Var& x, DType dtype);
Var expand_dims(LayerContext& ctx, const Var& x, std::vector<int64_t> axes);
Var squeeze(LayerContext& ctx, const Var& x, std::vector<int64_t> axes);

// Ops whose output has x's shape and dtype; `extra` binds further parameters.
Var same_shape(LayerContext& ctx, const std::string& type, const Var& x, std::vector<Arg> extra = {});
// Broadcasting binary op (add, mul, greater, ...) whose output has dtype `out`.
Var binary(LayerContext& ctx, const std::string& type, const Var& x, const Var& y, DType out = DType::Float32);
// MIL reduce_* over `axes` (negative allowed); the output keeps them as 1s when `keep_dims`.
Var reduce(LayerContext& ctx, const std::string& type, const Var& x, const std::vector<int64_t>& axes, bool keep_dims = true);
// A float32 comparison or logical result (MIL bool) as the 1.0 / 0.0 floats NN layers produce.
Var as_float(LayerContext& ctx, const Var& x);

}  // namespace opencoreml::nn
