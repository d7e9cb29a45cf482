// opencoreml neural networks: branch and loop layers as MIL cond and while_loop. A nested
// network sees every blob of its enclosing scope; what it (re)defines flows back out:
//  - branch: a blob set in either branch leaves the cond when it existed before (the branch not
//    taken passes the old value on) or when both branches set it. Core ML takes the if branch
//    when |input| > 1e-6.
//  - loop: blobs of the enclosing scope that the condition or body networks set (with copy
//    layers) are the loop variables, with an iteration counter when the loop is bounded (by
//    maxLoopIterations or an input). The condition network runs before every iteration; its
//    blobs are visible to the body, so the body block evaluates it again first.
// loopBreak and loopContinue are not supported.
#include <set>

#include "nn/emit.hpp"
#include "nn/graph_translator.hpp"

namespace opencoreml::nn {

namespace spec = CoreML::Specification;
using L = spec::NeuralNetworkLayer;

namespace {

// The NN truth of a blob: |x| > 1e-6.
Var truth(LayerContext& ctx, const Var& x) {
    return binary(ctx, "greater", same_shape(ctx, "abs", x), ctx.writer().float_scalar(1e-6f), DType::Bool);
}

// Blobs of `after` that are new or hold another value than in `before`.
std::map<std::string, Var> changed(const std::map<std::string, Var>& before, const std::map<std::string, Var>& after) {
    std::map<std::string, Var> out;
    for (const auto& [name, v] : after) {
        auto it = before.find(name);
        if (it == before.end() || it->second.name != v.name) out.emplace(name, v);
    }
    return out;
}

// The type of a value that may come from either of two producers: dims that differ are unknown.
OutType merged_type(const LayerContext& ctx, const std::string& blob, const Var& a, const Var& b) {
    if (a.rank() != b.rank())
        ctx.fail("blob '" + blob + "' has rank " + std::to_string(a.rank()) + " on one path and " + std::to_string(b.rank()) +
                 " on the other");
    OutType t{a.dtype, a.shape};
    for (size_t i = 0; i < t.shape.size(); ++i)
        if (a.shape[i] != b.shape[i]) t.shape[i] = -1;
    return t;
}

void collect_outputs(const Layers& layers, std::set<std::string>& out) {
    for (const auto& layer : layers) {
        out.insert(layer.output().begin(), layer.output().end());
        if (layer.layer_case() == L::kBranch) {
            collect_outputs(layer.branch().ifbranch().layers(), out);
            collect_outputs(layer.branch().elsebranch().layers(), out);
        } else if (layer.layer_case() == L::kLoop) {
            collect_outputs(layer.loop().conditionnetwork().layers(), out);
            collect_outputs(layer.loop().bodynetwork().layers(), out);
        }
    }
}

}  // namespace

void GraphTranslator::translate_branch(const L& layer, std::vector<Var> inputs) {
    LayerContext ctx(writer_, layer, std::move(inputs), rank5_inputs_, origin_);
    ctx.require(1, 1, 0);
    const auto& p = layer.branch();
    if (!p.has_ifbranch()) ctx.fail("has no ifBranch network");
    const MilWriter::OpHandle op = writer_.open_op("cond", layer.name(), {{"pred", truth(ctx, ctx.in())}});
    std::map<std::string, Var> sides[2];
    for (int side = 0; side < 2; ++side) {
        writer_.begin_block(op, {});
        GraphTranslator inner = nested();
        if (side == 0) inner.translate(p.ifbranch().layers());
        else if (p.has_elsebranch()) inner.translate(p.elsebranch().layers());
        writer_.end_block({});
        sides[side] = changed(blobs_, inner.blobs_);
    }
    std::vector<std::string> exported;
    std::vector<OutType> types;
    for (int side = 0; side < 2; ++side) {
        for (const auto& [name, v] : sides[side]) {
            const bool before = blobs_.count(name) > 0, both = sides[1 - side].count(name) > 0;
            if ((!before && !both) || (side == 1 && both)) continue;  // undefined on one path, or already taken
            const Var& other = both ? sides[1 - side].at(name) : blobs_.at(name);
            exported.push_back(name);
            types.push_back(merged_type(ctx, name, v, other));
        }
    }
    for (int side = 0; side < 2; ++side)
        for (const auto& name : exported) {
            auto it = sides[side].find(name);
            op->mutable_blocks(side)->add_outputs(it != sides[side].end() ? it->second.name : blobs_.at(name).name);
        }
    const std::vector<Var> results = writer_.close_op(op, types);
    for (size_t i = 0; i < exported.size(); ++i) blobs_[exported[i]] = results[i];
}

void GraphTranslator::translate_loop(const L& layer, std::vector<Var> inputs) {
    LayerContext ctx(writer_, layer, std::move(inputs), rank5_inputs_, origin_);
    ctx.require(0, 1, 0);
    const auto& p = layer.loop();
    if (!p.has_bodynetwork()) ctx.fail("has no bodyNetwork");
    const bool has_condition = !p.conditionvar().empty();
    if (has_condition && p.conditionnetwork().layers().empty()) ctx.fail("conditionVar needs a conditionNetwork producing it");
    const bool bounded = !has_condition || ctx.input_count() == 1 || p.maxloopiterations() > 0;
    MilWriter& w = writer_;

    std::set<std::string> written;
    collect_outputs(p.conditionnetwork().layers(), written);
    collect_outputs(p.bodynetwork().layers(), written);
    std::vector<std::string> carried;
    for (const auto& name : written)
        if (blobs_.count(name)) carried.push_back(name);

    std::vector<Var> initial;
    std::vector<OutType> types;
    Var limit;
    if (bounded) {
        limit = ctx.input_count() == 1 ? reshape(ctx, cast(ctx, ctx.in(), DType::Int32), std::vector<int64_t>{})
                                       : w.int_scalar(static_cast<int64_t>(p.maxloopiterations()));
        initial.push_back(w.int_scalar(0));
        types.push_back({DType::Int32, {}});
    }
    for (const auto& name : carried) {
        const Var& v = blobs_.at(name);
        initial.push_back(v);
        types.push_back({v.dtype, Shape(v.shape.size(), -1)});
    }
    const MilWriter::OpHandle op = w.open_op("while_loop", layer.name(), {{"loop_vars", initial}});
    const size_t first = bounded ? 1 : 0;
    // A translator for one block, the carried blobs bound to the block's inputs.
    auto block_scope = [&](const std::vector<Var>& vars) {
        GraphTranslator inner = nested();
        for (size_t i = 0; i < carried.size(); ++i) inner.blobs_[carried[i]] = vars[first + i];
        if (has_condition) inner.translate(p.conditionnetwork().layers());
        return inner;
    };

    std::vector<Var> vars = w.begin_block(op, types);
    GraphTranslator condition = block_scope(vars);
    Var go;
    if (has_condition) {
        auto it = condition.blobs_.find(p.conditionvar());
        if (it == condition.blobs_.end()) ctx.fail("the condition network does not produce conditionVar '" + p.conditionvar() + "'");
        go = truth(ctx, it->second);
    }
    if (bounded) {
        const Var below = binary(ctx, "less", vars[0], limit, DType::Bool);
        go = has_condition ? binary(ctx, "logical_and", go, below, DType::Bool) : below;
    }
    w.end_block({go});

    vars = w.begin_block(op, types);
    GraphTranslator body = block_scope(vars);
    body.translate(p.bodynetwork().layers());
    std::vector<Var> next;
    if (bounded) next.push_back(binary(ctx, "add", vars[0], w.int_scalar(1), DType::Int32));
    for (const auto& name : carried) next.push_back(body.blobs_.at(name));
    w.end_block(next);

    const std::vector<Var> results = w.close_op(op, types);
    for (size_t i = 0; i < carried.size(); ++i) blobs_[carried[i]] = results[first + i];
}

}  // namespace opencoreml::nn
