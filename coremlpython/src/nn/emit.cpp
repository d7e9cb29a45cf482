// opencoreml neural networks: shared op patterns (see emit.hpp).
#include "nn/emit.hpp"

#include <algorithm>

namespace opencoreml::nn {

namespace {

const char* mil_dtype_name(DType dtype) {
    switch (dtype) {
        case DType::Bool: return "bool";
        case DType::Int32: return "int32";
        case DType::Float16: return "fp16";
        default: return "fp32";
    }
}

// The shape MIL reshape produces for `target` from `from` (iOS17 zero rule), -1 where unknown.
Shape reshaped_shape(const Shape& from, const std::vector<int64_t>& target) {
    Shape out(target.begin(), target.end());
    const size_t n_to = out.size(), n_from = from.size();
    int inferred = -1;
    for (size_t i = 0; i < n_to; ++i) {
        if (out[i] == 0) {
            const size_t from_end = n_to - i;
            out[i] = from_end <= n_from ? from[n_from - from_end] : 1;
        } else if (out[i] == -1) {
            inferred = static_cast<int>(i);
        }
    }
    if (inferred >= 0) {
        int64_t known = 1;
        bool all_known = std::all_of(from.begin(), from.end(), [](int64_t d) { return d >= 0; });
        for (size_t i = 0; i < n_to; ++i) {
            if (static_cast<int>(i) == inferred) continue;
            if (out[i] < 0) all_known = false;
            else known *= out[i];
        }
        out[static_cast<size_t>(inferred)] = all_known && known > 0 ? shape_numel(from) / known : -1;
    }
    return out;
}

}  // namespace

Shape broadcast_shape(const Shape& a, const Shape& b) {
    const size_t rank = std::max(a.size(), b.size());
    Shape out(rank, 1);
    for (size_t i = 0; i < rank; ++i) {
        const int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
        const int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
        if (da == 1) out[i] = db;
        else if (db == 1) out[i] = da;
        else if (da < 0 || db < 0) out[i] = std::max(da, db) > 1 ? std::max(da, db) : -1;
        else out[i] = da;
    }
    return out;
}

int64_t normalize_axis(const LayerContext& ctx, int64_t axis, int64_t rank) {
    if (axis < -rank || axis >= rank)
        ctx.fail("axis " + std::to_string(axis) + " is out of range for an input of rank " + std::to_string(rank));
    return axis < 0 ? axis + rank : axis;
}

Var reshape(LayerContext& ctx, const Var& x, const std::vector<int64_t>& target) {
    return ctx.op("reshape", {{"x", x}, {"shape", ctx.writer().ints(target)}}, {x.dtype, reshaped_shape(x.shape, target)});
}

Var keep_lead(LayerContext& ctx, const Var& y, const Var& ref, int64_t lead, int64_t skip) {
    Shape out(ref.shape.begin(), ref.shape.begin() + lead);
    out.insert(out.end(), y.shape.begin() + skip, y.shape.end());
    if (std::all_of(out.begin(), out.end(), [](int64_t d) { return d >= 0; })) {
        if (out == y.shape) return y;
        return reshape(ctx, y, std::vector<int64_t>(out.begin(), out.end()));
    }
    MilWriter& w = ctx.writer();
    return ctx.op("reshape_like",
                  {{"x", y},
                   {"ref_tensors", std::vector<Var>{ref, y}},
                   {"begins", std::vector<Var>{w.int_scalar(0), w.int_scalar(skip)}},
                   {"ends", std::vector<Var>{w.int_scalar(lead), w.int_scalar(0)}},
                   {"end_masks", std::vector<Var>{w.bool_scalar(false), w.bool_scalar(true)}}},
                  {y.dtype, out});
}

Var to_nchw(LayerContext& ctx, const Var& x) {
    if (x.rank() == 4) return x;
    return reshape(ctx, x, {-1, 0, 0, 0});
}

Var from_nchw(LayerContext& ctx, const Var& y, const Var& like) {
    const int64_t rank = like.rank();
    if (rank == 4) return y;
    if (rank < 4) return reshape(ctx, y, std::vector<int64_t>(static_cast<size_t>(rank), 0));
    return keep_lead(ctx, y, like, rank - 3, 1);
}

Var cast(LayerContext& ctx, const Var& x, DType dtype) {
    if (x.dtype == dtype) return x;
    return ctx.op("cast", {{"x", x}, {"dtype", ctx.writer().string(mil_dtype_name(dtype))}}, {dtype, x.shape});
}

Var expand_dims(LayerContext& ctx, const Var& x, std::vector<int64_t> axes) {
    const int64_t out_rank = x.rank() + static_cast<int64_t>(axes.size());
    for (auto& a : axes) a = normalize_axis(ctx, a, out_rank);
    std::sort(axes.begin(), axes.end());
    Shape out;
    size_t next = 0, src = 0;
    for (int64_t i = 0; i < out_rank; ++i) {
        if (next < axes.size() && axes[next] == i) {
            out.push_back(1);
            ++next;
        } else {
            out.push_back(x.shape[src++]);
        }
    }
    return ctx.op("expand_dims", {{"x", x}, {"axes", ctx.writer().ints(axes)}}, {x.dtype, out});
}

Var squeeze(LayerContext& ctx, const Var& x, std::vector<int64_t> axes) {
    for (auto& a : axes) a = normalize_axis(ctx, a, x.rank());
    Shape out;
    for (int64_t i = 0; i < x.rank(); ++i)
        if (std::find(axes.begin(), axes.end(), i) == axes.end()) out.push_back(x.shape[static_cast<size_t>(i)]);
    return ctx.op("squeeze", {{"x", x}, {"axes", ctx.writer().ints(axes)}}, {x.dtype, out});
}

Var same_shape(LayerContext& ctx, const std::string& type, const Var& x, std::vector<Arg> extra) {
    extra.insert(extra.begin(), Arg("x", x));
    return ctx.op(type, extra, {x.dtype, x.shape});
}

Var binary(LayerContext& ctx, const std::string& type, const Var& x, const Var& y, DType out) {
    return ctx.op(type, {{"x", x}, {"y", y}}, {out, broadcast_shape(x.shape, y.shape)});
}

Var reduce(LayerContext& ctx, const std::string& type, const Var& x, const std::vector<int64_t>& axes, bool keep_dims) {
    std::vector<bool> reduced(static_cast<size_t>(x.rank()), false);
    for (int64_t a : axes) reduced[static_cast<size_t>(normalize_axis(ctx, a, x.rank()))] = true;
    Shape out;
    for (size_t i = 0; i < reduced.size(); ++i) {
        if (!reduced[i]) out.push_back(x.shape[i]);
        else if (keep_dims) out.push_back(1);
    }
    MilWriter& w = ctx.writer();
    return ctx.op(type, {{"x", x}, {"axes", w.ints(axes)}, {"keep_dims", w.bool_scalar(keep_dims)}}, {x.dtype, out});
}

Var as_float(LayerContext& ctx, const Var& x) { return cast(ctx, x, DType::Float32); }

}  // namespace opencoreml::nn
