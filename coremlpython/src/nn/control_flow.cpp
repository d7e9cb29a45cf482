// opencoreml neural networks: branch and loop layers as MIL cond and while_loop. A nested
// network sees every blob of its enclosing scope; what it (re)defines flows back out:
//  - branch: a blob set in either branch leaves the cond when it existed before (the branch not
//    taken passes the old value on) or when both branches set it. Core ML takes the if branch
//    when |input| > 1e-6.
//  - loop: blobs of the enclosing scope that the condition or body networks set (with copy
//    layers) are the loop variables, with an iteration counter when the loop is bounded (by
//    maxLoopIterations or an input). The condition network runs before every iteration; its
//    blobs are visible to the body, so the body block evaluates it again first. Core ML runs it
//    once more after the last iteration (its blobs, and what its copy layers set, are visible
//    after the loop), and so does the translation when something after the loop reads them. A
//    blob the body creates that is read after the loop is carried too, starting as zeros (what
//    it holds when the loop runs zero times, where Core ML leaves it undefined).
// loopBreak / loopContinue add a carried "broken" flag and guards (loop_jumps.cpp).
#include <set>

#include "nn/emit.hpp"
#include "nn/graph_translator.hpp"
#include "opencoreml/error.hpp"

namespace opencoreml::nn {

namespace spec = CoreML::Specification;
using L = spec::NeuralNetworkLayer;

namespace {

// The NN truth of a blob: |x| > 1e-6.
Var truth(LayerContext& ctx, const Var& x) {
    return binary(ctx, "greater", same_shape(ctx, "abs", x), ctx.writer().float_scalar(1e-6f), DType::Bool);
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

// Whether `layers` (or branches in them, not nested loops) have loopBreak / loopContinue.
bool has_jump(const Layers& layers) {
    for (const auto& layer : layers) {
        const auto kind = layer.layer_case();
        if (kind == L::kLoopBreak || kind == L::kLoopContinue) return true;
        if (kind == L::kBranch && (has_jump(layer.branch().ifbranch().layers()) || has_jump(layer.branch().elsebranch().layers())))
            return true;
    }
    return false;
}

// A blob's value on a path: readable (`definite`) or only carried (a fallback).
bool lookup(const std::map<std::string, Var>& blobs, const std::map<std::string, Var>& fallback, const std::string& name,
            Var& value, bool& definite) {
    if (auto it = blobs.find(name); it != blobs.end()) {
        value = it->second;
        definite = true;
        return true;
    }
    if (auto it = fallback.find(name); it != fallback.end()) {
        value = it->second;
        definite = false;
        return true;
    }
    return false;
}

Var zeros(MilWriter& w, const OutType& t) {
    Shape shape = t.shape;
    for (auto& d : shape)
        if (d < 0) d = 1;
    return w.constant(Tensor::zeros(t.dtype, shape));
}

}  // namespace

void GraphTranslator::join_paths(LayerContext& ctx, MilWriter::OpHandle op, const Path (&paths)[2]) {
    std::set<std::string> names;  // blobs some path changed
    for (const Path& p : paths)
        for (const auto* table : {&p.blobs, &p.fallback})
            for (const auto& [name, v] : *table) {
                Var old;
                bool definite;
                if (!lookup(blobs_, fallback_, name, old, definite) || old.name != v.name) names.insert(name);
            }
    std::vector<std::string> exported;
    std::vector<bool> readable;
    std::vector<OutType> types;
    for (const auto& name : names) {
        Var v[2];
        bool definite[2] = {false, false}, has[2];
        for (int s = 0; s < 2; ++s) has[s] = lookup(paths[s].blobs, paths[s].fallback, name, v[s], definite[s]);
        if (!has[0] && !has[1]) continue;
        if (!has[0] || !has[1]) {
            if (!probe_) continue;  // undefined on one path
            v[has[0] ? 1 : 0] = v[has[0] ? 0 : 1];  // types only: either value will do
        }
        exported.push_back(name);
        readable.push_back(definite[0] && definite[1]);
        types.push_back(merged_type(ctx, name, v[0], v[1]));
        for (int s = 0; s < 2; ++s) op->mutable_blocks(s)->add_outputs(v[s].name);
    }
    const bool flags_changed = flags_ && (paths[0].flags->state != 0 || paths[1].flags->state != 0);
    if (flags_changed) {
        for (int s = 0; s < 2; ++s) {
            op->mutable_blocks(s)->add_outputs(paths[s].flags->stop_value().name);
            op->mutable_blocks(s)->add_outputs(paths[s].flags->break_value().name);
        }
        types.push_back({DType::Bool, {}});
        types.push_back({DType::Bool, {}});
    }
    const std::vector<Var> results = writer_.close_op(op, types);
    for (size_t i = 0; i < exported.size(); ++i) {
        auto& keep = readable[i] ? blobs_ : fallback_;
        auto& drop = readable[i] ? fallback_ : blobs_;
        keep[exported[i]] = results[i];
        drop.erase(exported[i]);
    }
    if (flags_changed) {
        flags_->state = paths[0].flags->state == 1 && paths[1].flags->state == 1 ? 1 : -1;
        flags_->stop = results[exported.size()];
        flags_->broke = results[exported.size() + 1];
    }
}

void GraphTranslator::translate_branch(const L& layer, std::vector<Var> inputs) {
    LayerContext ctx(writer_, layer, std::move(inputs), rank5_inputs_, origin_);
    ctx.require(1, 1, 0);
    const auto& p = layer.branch();
    if (!p.has_ifbranch()) ctx.fail("has no ifBranch network");
    const MilWriter::OpHandle op = writer_.open_op("cond", layer.name(), {{"pred", truth(ctx, ctx.in())}});
    Path paths[2];
    for (int side = 0; side < 2; ++side) {
        writer_.begin_block(op, {});
        GraphTranslator inner = nested();
        if (side == 0) inner.translate(p.ifbranch().layers());
        else if (p.has_elsebranch()) inner.translate(p.elsebranch().layers());
        writer_.end_block({});
        paths[side] = inner.path();
    }
    join_paths(ctx, op, paths);
}

std::map<std::string, OutType> GraphTranslator::probe_loop(const L& layer, const std::set<std::string>& names) const {
    const auto& p = layer.loop();
    MilWriter scratch;
    GraphTranslator probe(scratch, origin_, rank5_inputs_);
    probe.probe_ = true;
    probe.blobs_ = blobs_;
    probe.fallback_ = fallback_;
    probe.reads_after_ = later_;
    if (!p.conditionvar().empty()) probe.translate(p.conditionnetwork().layers());
    if (has_jump(p.bodynetwork().layers())) {
        LoopFlags f;
        f.yes = scratch.bool_scalar(true);
        f.no = scratch.bool_scalar(false);
        probe.flags_ = f;
    }
    probe.translate(p.bodynetwork().layers());
    std::map<std::string, OutType> types;
    for (const auto& name : names) {
        Var v;
        bool definite;
        if (!lookup(probe.blobs_, probe.fallback_, name, v, definite))
            throw Error(ErrorCode::NotImplemented, origin_ + ": layer '" + layer.name() + "' (loop): blob '" + name +
                                                       "' is created inside the loop and read after it, but the loop's body "
                                                       "does not define it where it can be carried out");
        types[name] = OutType{v.dtype, v.shape};
    }
    return types;
}

void GraphTranslator::translate_loop(const L& layer, std::vector<Var> inputs) {
    LayerContext ctx(writer_, layer, std::move(inputs), rank5_inputs_, origin_);
    ctx.require(0, 1, 0);
    const auto& p = layer.loop();
    if (!p.has_bodynetwork()) ctx.fail("has no bodyNetwork");
    const bool has_condition = !p.conditionvar().empty();
    if (has_condition && p.conditionnetwork().layers().empty()) ctx.fail("conditionVar needs a conditionNetwork producing it");
    const bool bounded = !has_condition || ctx.input_count() == 1 || p.maxloopiterations() > 0;
    const bool jumps = has_jump(p.bodynetwork().layers());
    MilWriter& w = writer_;

    // The loop variables: blobs of the enclosing scope the loop sets (readable ones, or ones an
    // enclosing loop carries), and blobs it creates that are read after it.
    std::set<std::string> written, condition_written;
    collect_outputs(p.conditionnetwork().layers(), condition_written);
    written = condition_written;
    collect_outputs(p.bodynetwork().layers(), written);
    std::vector<std::string> carried;
    std::set<std::string> created;
    bool reevaluate = false;  // the condition network sets blobs read after the loop
    for (const auto& name : written) {
        const bool from_condition = condition_written.count(name) > 0, read_later = later_.count(name) > 0;
        reevaluate = reevaluate || (from_condition && read_later);
        if (blobs_.count(name) || fallback_.count(name)) {
            carried.push_back(name);
        } else if (read_later && (!from_condition || jumps)) {
            // (Without jumps the condition network's last run, after the loop, defines the
            // blobs it creates; with them, a break skips that run and leaves the values of the
            // run that started the last iteration, so those are carried.)
            carried.push_back(name);
            created.insert(name);
        }
    }
    std::map<std::string, OutType> created_types;
    if (!created.empty()) created_types = probe_loop(layer, created);

    std::vector<Var> initial;
    std::vector<OutType> types;
    Var limit;
    if (bounded) {
        limit = ctx.input_count() == 1 ? reshape(ctx, cast(ctx, ctx.in(), DType::Int32), std::vector<int64_t>{})
                                       : w.int_scalar(static_cast<int64_t>(p.maxloopiterations()));
        initial.push_back(w.int_scalar(0));
        types.push_back({DType::Int32, {}});
    }
    if (jumps) {  // the "broken" flag: a loopBreak ran
        initial.push_back(w.bool_scalar(false));
        types.push_back({DType::Bool, {}});
    }
    const size_t first = initial.size();
    for (const auto& name : carried) {
        Var v;
        bool definite;
        if (!lookup(blobs_, fallback_, name, v, definite)) v = zeros(w, created_types.at(name));
        initial.push_back(v);
        types.push_back({v.dtype, Shape(v.shape.size(), -1)});
    }
    const MilWriter::OpHandle op = w.open_op("while_loop", layer.name(), {{"loop_vars", initial}});
    // A translator for one block, the carried blobs bound to the block's inputs.
    auto block_scope = [&](const std::vector<Var>& vars) {
        GraphTranslator inner = nested();
        inner.flags_.reset();  // a loopBreak in this loop's networks is this loop's own
        for (size_t i = 0; i < carried.size(); ++i) {
            const bool readable = blobs_.count(carried[i]) > 0;
            (readable ? inner.blobs_ : inner.fallback_)[carried[i]] = vars[first + i];
        }
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
    if (jumps) go = binary(ctx, "logical_and", go, same_shape(ctx, "logical_not", vars[first - 1]), DType::Bool);
    w.end_block({go});

    vars = w.begin_block(op, types);
    GraphTranslator body = block_scope(vars);
    if (jumps) {
        LoopFlags f;
        f.yes = w.bool_scalar(true);
        f.no = w.bool_scalar(false);
        body.flags_ = f;
    }
    body.translate(p.bodynetwork().layers());
    std::vector<Var> next;
    if (bounded) next.push_back(binary(ctx, "add", vars[0], w.int_scalar(1), DType::Int32));
    if (jumps) next.push_back(body.flags_->break_value());
    for (size_t i = 0; i < carried.size(); ++i) {
        Var v = vars[first + i];
        bool definite;
        lookup(body.blobs_, body.fallback_, carried[i], v, definite);
        next.push_back(v);
    }
    w.end_block(next);

    const std::vector<Var> results = w.close_op(op, types);
    for (size_t i = 0; i < carried.size(); ++i) {
        const std::string& name = carried[i];
        const bool readable = blobs_.count(name) || created.count(name) || later_.count(name);
        (readable ? blobs_ : fallback_)[name] = results[first + i];
        (readable ? fallback_ : blobs_).erase(name);
    }
    if (has_condition && reevaluate) condition_after_loop(ctx, jumps ? &results[first - 1] : nullptr, created);
}

void GraphTranslator::condition_after_loop(LayerContext& ctx, const Var* broken, const std::set<std::string>& carried_out) {
    const auto& conditions = ctx.layer().loop().conditionnetwork().layers();
    if (!broken) {
        GraphTranslator again = nested();
        again.translate(conditions);
        blobs_ = std::move(again.blobs_);
        fallback_ = std::move(again.fallback_);
        return;
    }
    const MilWriter::OpHandle op = writer_.open_op("cond", ctx.layer().name() + "/condition_after", {{"pred", *broken}});
    Path paths[2];
    writer_.begin_block(op, {});  // a break ended the loop: no last run of the condition network
    paths[0] = path();
    writer_.end_block({});
    writer_.begin_block(op, {});
    GraphTranslator again = nested();
    for (const auto& name : carried_out) {  // the condition network creates these again
        auto it = again.blobs_.find(name);
        if (it == again.blobs_.end()) continue;
        again.fallback_[name] = it->second;
        again.blobs_.erase(it);
    }
    again.translate(conditions);
    paths[1] = again.path();
    writer_.end_block({});
    join_paths(ctx, op, paths);
}

}  // namespace opencoreml::nn
