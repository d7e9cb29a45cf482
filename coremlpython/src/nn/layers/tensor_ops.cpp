// opencoreml neural networks: layers that assemble or pick parts of blobs — concat (axis -3,
// or -5 for sequences) and concatND, split (axis -3) and splitND, slice (one of C/H/W) and
// sliceStatic, gather / gatherND / gatherAlongAxis (float indices cast to int32), tile,
// stack, reverse, the padding layers and cumSum.
#include <algorithm>

#include "nn/emit.hpp"

namespace opencoreml::nn {

namespace {

namespace spec = CoreML::Specification;

Var concat(LayerContext& ctx, int64_t axis, bool interleave) {
    std::vector<Var> values;
    for (size_t i = 0; i < ctx.input_count(); ++i) values.push_back(ctx.in(i));
    const int64_t r = values[0].rank();
    const int64_t a = normalize_axis(ctx, axis, r);
    Shape out = values[0].shape;
    for (size_t i = 1; i < values.size(); ++i) {
        if (values[i].rank() != r) ctx.fail("inputs must all have rank " + std::to_string(r));
        const int64_t d = values[i].shape[static_cast<size_t>(a)];
        out[static_cast<size_t>(a)] = out[static_cast<size_t>(a)] < 0 || d < 0 ? -1 : out[static_cast<size_t>(a)] + d;
    }
    MilWriter& w = ctx.writer();
    return ctx.op("concat", {{"values", values}, {"axis", w.int_scalar(axis)}, {"interleave", w.bool_scalar(interleave)}},
                  {DType::Float32, out});
}

void translate_concat(LayerContext& ctx) {
    ctx.require(1, -1, 1);
    const bool sequence = ctx.layer().concat().sequenceconcat();
    const int64_t min_rank = sequence ? 5 : 3;
    for (size_t i = 0; i < ctx.input_count(); ++i)
        if (ctx.in(i).rank() < min_rank) ctx.fail("needs inputs of rank " + std::to_string(min_rank) + " or more");
    ctx.set_out(0, ctx.input_count() == 1 ? ctx.in() : concat(ctx, sequence ? -5 : -3, false));
}

void translate_concat_nd(LayerContext& ctx) {
    ctx.require(1, -1, 1);
    const auto& p = ctx.layer().concatnd();
    ctx.set_out(0, ctx.input_count() == 1 ? ctx.in() : concat(ctx, p.axis(), p.interleave()));
}

void split(LayerContext& ctx, int64_t axis, int64_t num_splits, const std::vector<int64_t>& sizes) {
    const Var& x = ctx.in();
    const int64_t a = normalize_axis(ctx, axis, x.rank());
    const size_t n = sizes.empty() ? static_cast<size_t>(num_splits) : sizes.size();
    if (n != ctx.output_count())
        ctx.fail("splits into " + std::to_string(n) + " parts but has " + std::to_string(ctx.output_count()) + " outputs");
    std::vector<OutType> outs(n, OutType{DType::Float32, x.shape});
    const int64_t along = x.shape[static_cast<size_t>(a)];
    for (size_t i = 0; i < n; ++i)
        outs[i].shape[static_cast<size_t>(a)] = !sizes.empty() ? sizes[i] : along >= 0 ? along / num_splits : -1;
    MilWriter& w = ctx.writer();
    std::vector<Arg> args{{"x", x}, {"axis", w.int_scalar(axis)}};
    if (sizes.empty()) args.emplace_back("num_splits", w.int_scalar(num_splits));
    else args.emplace_back("split_sizes", w.ints(sizes));
    const std::vector<Var> parts = ctx.ops("split", args, outs);
    for (size_t i = 0; i < n; ++i) ctx.set_out(i, parts[i]);
}

void translate_split(LayerContext& ctx) {
    ctx.require(1, 1, -1);
    if (ctx.in().rank() < 3) ctx.fail("needs an input of rank 3 or more");
    const int64_t n = static_cast<int64_t>(ctx.output_count());
    if (ctx.layer().split().noutputs() != 0 && static_cast<int64_t>(ctx.layer().split().noutputs()) != n)
        ctx.fail("nOutputs does not match the number of outputs");
    split(ctx, -3, n, {});
}

void translate_split_nd(LayerContext& ctx) {
    ctx.require(1, 1, -1);
    const auto& p = ctx.layer().splitnd();
    const std::vector<int64_t> sizes(p.splitsizes().begin(), p.splitsizes().end());
    split(ctx, p.axis(), p.numsplits() ? static_cast<int64_t>(p.numsplits()) : static_cast<int64_t>(ctx.output_count()), sizes);
}

// Python slice of one dim: the number of elements, -1 when the dim is unknown.
int64_t sliced_size(int64_t dim, int64_t begin, int64_t end, int64_t stride, bool begin_mask, bool end_mask) {
    if (dim < 0) return -1;
    auto clamp = [dim, stride](int64_t v) {
        if (v < 0) v += dim;
        return stride > 0 ? std::min(std::max<int64_t>(v, 0), dim) : std::min(std::max<int64_t>(v, -1), dim - 1);
    };
    const int64_t b = begin_mask ? (stride > 0 ? 0 : dim - 1) : clamp(begin);
    const int64_t e = end_mask ? (stride > 0 ? dim : -1) : clamp(end);
    const int64_t n = stride > 0 ? (e - b + stride - 1) / stride : (b - e - stride - 1) / -stride;
    return std::max<int64_t>(n, 0);
}

struct SliceArgs {
    std::vector<int64_t> begin, end, stride;
    std::vector<bool> begin_mask, end_mask, squeeze_mask;
};

Var slice(LayerContext& ctx, const Var& x, const SliceArgs& s) {
    Shape out;
    for (size_t i = 0; i < s.begin.size(); ++i) {
        if (!s.squeeze_mask.empty() && s.squeeze_mask[i]) continue;
        out.push_back(sliced_size(x.shape[i], s.begin[i], s.end[i], s.stride[i], s.begin_mask[i], s.end_mask[i]));
    }
    MilWriter& w = ctx.writer();
    std::vector<Arg> args{{"x", x}, {"begin", w.ints(s.begin)}, {"end", w.ints(s.end)}, {"stride", w.ints(s.stride)},
                          {"begin_mask", w.bools(s.begin_mask)}, {"end_mask", w.bools(s.end_mask)}};
    if (!s.squeeze_mask.empty()) args.emplace_back("squeeze_mask", w.bools(s.squeeze_mask));
    return ctx.op("slice_by_index", args, {x.dtype, out});
}

void translate_slice_static(LayerContext& ctx) {
    ctx.require(1, 1, 1);
    const auto& p = ctx.layer().slicestatic();
    const Var& x = ctx.in();
    const size_t r = static_cast<size_t>(x.rank());
    if (static_cast<size_t>(p.beginids_size()) != r || static_cast<size_t>(p.endids_size()) != r ||
        static_cast<size_t>(p.beginmasks_size()) != r || static_cast<size_t>(p.endmasks_size()) != r ||
        static_cast<size_t>(p.strides_size()) != r || (p.squeezemasks_size() && static_cast<size_t>(p.squeezemasks_size()) != r))
        ctx.fail("beginIds, endIds, beginMasks, endMasks, strides (and squeezeMasks) need one value per input dim (" +
                 std::to_string(r) + ")");
    SliceArgs s{{p.beginids().begin(), p.beginids().end()}, {p.endids().begin(), p.endids().end()},
                {p.strides().begin(), p.strides().end()}, {p.beginmasks().begin(), p.beginmasks().end()},
                {p.endmasks().begin(), p.endmasks().end()}, {p.squeezemasks().begin(), p.squeezemasks().end()}};
    for (int64_t st : s.stride)
        if (st == 0) ctx.fail("strides must not be 0");
    // A fully squeezed slice keeps rank 1 (Core ML has no rank-0 blobs).
    if (!s.squeeze_mask.empty() && std::all_of(s.squeeze_mask.begin(), s.squeeze_mask.end(), [](bool b) { return b; })) {
        const size_t last = r - 1;  // keep this dim as a slice of one element
        s.squeeze_mask[last] = s.begin_mask[last] = false;
        s.stride[last] = 1;
        s.end_mask[last] = s.begin[last] == -1;
        s.end[last] = s.begin[last] + 1;
    }
    ctx.set_out(0, slice(ctx, x, s));
}

// The classic slice: [startIndex, endIndex) with a stride along C, H or W.
void translate_slice(LayerContext& ctx) {
    ctx.require(1, 1, 1);
    const auto& p = ctx.layer().slice();
    const Var& x = ctx.in();
    const int64_t axis = -3 + static_cast<int64_t>(p.axis());
    const int64_t a = normalize_axis(ctx, axis, x.rank());
    if (p.stride() == 0) ctx.fail("stride must be positive");
    const size_t r = static_cast<size_t>(x.rank());
    SliceArgs s{std::vector<int64_t>(r, 0), std::vector<int64_t>(r, 0), std::vector<int64_t>(r, 1),
                std::vector<bool>(r, true), std::vector<bool>(r, true), {}};
    s.begin[static_cast<size_t>(a)] = p.startindex();
    s.end[static_cast<size_t>(a)] = p.endindex();
    s.stride[static_cast<size_t>(a)] = static_cast<int64_t>(p.stride());
    s.begin_mask[static_cast<size_t>(a)] = false;
    s.end_mask[static_cast<size_t>(a)] = false;
    ctx.set_out(0, slice(ctx, x, s));
}

Var indices(LayerContext& ctx, const Var& v) { return cast(ctx, v, DType::Int32); }

void translate_gather(LayerContext& ctx) {
    ctx.require(2, 2, 1);
    const Var& x = ctx.in(0);
    const Var& idx = ctx.in(1);
    const int64_t a = normalize_axis(ctx, ctx.layer().gather().axis(), x.rank());
    Shape out(x.shape.begin(), x.shape.begin() + a);
    out.insert(out.end(), idx.shape.begin(), idx.shape.end());
    out.insert(out.end(), x.shape.begin() + a + 1, x.shape.end());
    ctx.set_out(0, ctx.op("gather", {{"x", x}, {"indices", indices(ctx, idx)}, {"axis", ctx.writer().int_scalar(a)}},
                          {DType::Float32, out}));
}

void translate_gather_nd(LayerContext& ctx) {
    ctx.require(2, 2, 1);
    const Var& x = ctx.in(0);
    const Var& idx = ctx.in(1);
    const int64_t k = idx.dim(-1);
    if (k < 0) ctx.unsupported("gatherND with an index depth known only at run time");
    Shape out(idx.shape.begin(), idx.shape.end() - 1);
    out.insert(out.end(), x.shape.begin() + k, x.shape.end());
    ctx.set_out(0, ctx.op("gather_nd", {{"x", x}, {"indices", indices(ctx, idx)}}, {DType::Float32, out}));
}

void translate_gather_along_axis(LayerContext& ctx) {
    ctx.require(2, 2, 1);
    const Var& idx = ctx.in(1);
    const int64_t a = normalize_axis(ctx, ctx.layer().gatheralongaxis().axis(), ctx.in(0).rank());
    ctx.set_out(0, ctx.op("gather_along_axis", {{"x", ctx.in(0)}, {"indices", indices(ctx, idx)}, {"axis", ctx.writer().int_scalar(a)}},
                          {DType::Float32, idx.shape}));
}

void translate_tile(LayerContext& ctx) {
    ctx.require(1, 1, 1);
    const Var& x = ctx.in();
    const auto& r = ctx.layer().tile().reps();
    std::vector<int64_t> reps(r.begin(), r.end());
    if (reps.size() != static_cast<size_t>(x.rank())) ctx.fail("reps must have one value per input dim");
    Shape out = x.shape;
    for (size_t i = 0; i < out.size(); ++i) out[i] = out[i] < 0 ? -1 : out[i] * reps[i];
    ctx.set_out(0, ctx.op("tile", {{"x", x}, {"reps", ctx.writer().ints(reps)}}, {DType::Float32, out}));
}

void translate_stack(LayerContext& ctx) {
    ctx.require(1, -1, 1);
    std::vector<Var> values;
    for (size_t i = 0; i < ctx.input_count(); ++i) values.push_back(ctx.in(i));
    const int64_t r = values[0].rank() + 1;
    const int64_t a = normalize_axis(ctx, ctx.layer().stack().axis(), r);
    Shape out = values[0].shape;
    out.insert(out.begin() + a, static_cast<int64_t>(values.size()));
    ctx.set_out(0, ctx.op("stack", {{"values", values}, {"axis", ctx.writer().int_scalar(a)}}, {DType::Float32, out}));
}

void translate_reverse(LayerContext& ctx) {
    ctx.require(1, 1, 1);
    const auto& dims = ctx.layer().reverse().reversedim();
    const Var& x = ctx.in();
    if (dims.size() != x.rank()) ctx.fail("reverseDim must have one value per input dim");
    std::vector<int64_t> axes;
    for (int i = 0; i < dims.size(); ++i)
        if (dims[i]) axes.push_back(i);
    ctx.set_out(0, axes.empty() ? x : same_shape(ctx, "reverse", x, {{"axes", ctx.writer().ints(axes)}}));
}

Var pad(LayerContext& ctx, const Var& x, const std::vector<int64_t>& amounts, const std::string& mode, float value) {
    Shape out = x.shape;
    const size_t padded = amounts.size() / 2, first = out.size() - padded;
    for (size_t i = 0; i < padded; ++i)
        if (out[first + i] >= 0) out[first + i] += amounts[2 * i] + amounts[2 * i + 1];
    MilWriter& w = ctx.writer();
    return ctx.op("pad", {{"x", x}, {"pad", w.ints(amounts)}, {"mode", w.string(mode)}, {"constant_val", w.float_scalar(value)}},
                  {DType::Float32, out});
}

// The classic padding layer: the last two dims, constant / reflection / replication.
void translate_padding(LayerContext& ctx) {
    ctx.require(1, 1, 1);
    const auto& p = ctx.layer().padding();
    const Var& x = ctx.in();
    if (x.rank() < 2) ctx.fail("needs an input of rank 2 or more");
    std::vector<int64_t> amounts(4, 0);
    const auto& b = p.paddingamounts().borderamounts();
    if (!b.empty() && b.size() != 2) ctx.fail("paddingAmounts must have 2 entries [H, W]");
    for (int i = 0; i < b.size(); ++i) {
        amounts[2 * i] = static_cast<int64_t>(b[i].startedgesize());
        amounts[2 * i + 1] = static_cast<int64_t>(b[i].endedgesize());
    }
    using P = spec::PaddingLayerParams;
    switch (p.PaddingType_case()) {
        case P::kConstant: ctx.set_out(0, pad(ctx, x, amounts, "constant", p.constant().value())); break;
        case P::kReflection: ctx.set_out(0, pad(ctx, x, amounts, "reflect", 0.0f)); break;
        case P::kReplication: ctx.set_out(0, pad(ctx, x, amounts, "replicate", 0.0f)); break;
        default: ctx.fail("has no padding type set");
    }
}

void translate_constant_pad(LayerContext& ctx) {
    ctx.require(1, 1, 1);
    const auto& p = ctx.layer().constantpad();
    const Var& x = ctx.in();
    std::vector<int64_t> amounts(p.padamounts().begin(), p.padamounts().end());
    if (amounts.size() != 2 * static_cast<size_t>(x.rank())) ctx.fail("padAmounts must have two values per input dim");
    if (p.padtogivenoutputsizemode()) {
        // Amounts are target sizes here: pad each dim up to them on the side that names one.
        for (size_t i = 0; i < static_cast<size_t>(x.rank()); ++i) {
            const int64_t d = x.shape[i];
            int64_t& before = amounts[2 * i];
            int64_t& after = amounts[2 * i + 1];
            if (before == 0 && after == 0) continue;
            if (d < 0) ctx.unsupported("padToGivenOutputSizeMode on a blob whose dims are only known at run time");
            if (before) before = std::max<int64_t>(0, before - d);
            if (after) after = std::max<int64_t>(0, after - d);
        }
    }
    ctx.set_out(0, pad(ctx, x, amounts, "constant", p.value()));
}

void translate_cumsum(LayerContext& ctx) {
    ctx.require(1, 1, 1);
    const auto& p = ctx.layer().cumsum();
    const Var& x = ctx.in();
    MilWriter& w = ctx.writer();
    ctx.set_out(0, same_shape(ctx, "cumsum", x,
                              {{"axis", w.int_scalar(normalize_axis(ctx, p.axis(), x.rank()))},
                               {"exclusive", w.bool_scalar(p.excludefinalsum())},
                               {"reverse", w.bool_scalar(p.reverse())}}));
}

}  // namespace

OCML_REGISTER_NN_LAYER(kConcat, translate_concat)
OCML_REGISTER_NN_LAYER(kConcatND, translate_concat_nd)
OCML_REGISTER_NN_LAYER(kSplit, translate_split)
OCML_REGISTER_NN_LAYER(kSplitND, translate_split_nd)
OCML_REGISTER_NN_LAYER(kSliceStatic, translate_slice_static)
OCML_REGISTER_NN_LAYER(kSlice, translate_slice)
OCML_REGISTER_NN_LAYER(kGather, translate_gather)
OCML_REGISTER_NN_LAYER(kGatherND, translate_gather_nd)
OCML_REGISTER_NN_LAYER(kGatherAlongAxis, translate_gather_along_axis)
OCML_REGISTER_NN_LAYER(kTile, translate_tile)
OCML_REGISTER_NN_LAYER(kStack, translate_stack)
OCML_REGISTER_NN_LAYER(kReverse, translate_reverse)
OCML_REGISTER_NN_LAYER(kPadding, translate_padding)
OCML_REGISTER_NN_LAYER(kConstantPad, translate_constant_pad)
OCML_REGISTER_NN_LAYER(kCumSum, translate_cumsum)

}  // namespace opencoreml::nn
