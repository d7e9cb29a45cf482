// opencoreml neural networks: the layer-graph translator (see graph_translator.hpp).
#include "nn/graph_translator.hpp"

#include <set>

#include "nn/layer_context.hpp"
#include "opencoreml/error.hpp"

namespace opencoreml::nn {

namespace spec = CoreML::Specification;
using L = spec::NeuralNetworkLayer;

namespace {

void collect_unsupported(const Layers& layers, const std::string& origin, std::set<std::string>& missing) {
    for (const auto& layer : layers) {
        const L::LayerCase kind = layer.layer_case();
        if (kind == L::kCustom)
            throw Error(ErrorCode::NotImplemented, origin + ": layer '" + layer.name() + "' is a custom layer (class '" +
                                                       layer.custom().classname() +
                                                       "'); custom layers need the app's own implementation, which Core ML "
                                                       "models do not carry");
        if (kind == L::LAYER_NOT_SET) throw Error(ErrorCode::InvalidModel, origin + ": layer '" + layer.name() + "' has no layer type set");
        if (kind == L::kBranch) {
            collect_unsupported(layer.branch().ifbranch().layers(), origin, missing);
            collect_unsupported(layer.branch().elsebranch().layers(), origin, missing);
        } else if (kind == L::kLoop) {
            collect_unsupported(layer.loop().conditionnetwork().layers(), origin, missing);
            collect_unsupported(layer.loop().bodynetwork().layers(), origin, missing);
        } else if (kind != L::kLoopBreak && kind != L::kLoopContinue && !find_layer(static_cast<int>(kind))) {
            missing.insert(layer_kind_name(static_cast<int>(kind)));
        }
    }
}

// Adds the blobs `layer` (and the networks nested in it) reads.
void collect_reads(const L& layer, std::set<std::string>& out) {
    out.insert(layer.input().begin(), layer.input().end());
    auto nested = [&](const Layers& layers) {
        for (const auto& l : layers) collect_reads(l, out);
    };
    if (layer.layer_case() == L::kBranch) {
        nested(layer.branch().ifbranch().layers());
        nested(layer.branch().elsebranch().layers());
    } else if (layer.layer_case() == L::kLoop) {
        nested(layer.loop().conditionnetwork().layers());
        nested(layer.loop().bodynetwork().layers());
    }
}

}  // namespace

void GraphTranslator::check_supported(const Layers& layers, const std::string& origin) {
    std::set<std::string> missing;
    collect_unsupported(layers, origin, missing);
    if (missing.empty()) return;
    std::string list;
    for (const auto& m : missing) list += (list.empty() ? "" : ", ") + m;
    throw Error(ErrorCode::NotImplemented, origin + ": the neural network uses layer kind(s) this build does not support: " + list);
}

void GraphTranslator::fail(const std::string& problem) const { throw Error(ErrorCode::InvalidModel, origin_ + ": " + problem); }

void GraphTranslator::translate(const Layers& layers) {
    std::map<std::string, int> producers;  // blob -> first layer of this list producing it
    for (int i = 0; i < layers.size(); ++i)
        for (const auto& o : layers[i].output()) producers.emplace(o, i);
    translate_from(layers, 0, producers);
}

void GraphTranslator::translate_from(const Layers& layers, int start, const std::map<std::string, int>& producers) {
    // after[i]: blobs read by layers i.. of this list or after it.
    std::vector<std::set<std::string>> after(static_cast<size_t>(layers.size()) + 1);
    after.back() = reads_after_;
    for (int i = layers.size() - 1; i >= start; --i) {
        after[static_cast<size_t>(i)] = after[static_cast<size_t>(i) + 1];
        collect_reads(layers[i], after[static_cast<size_t>(i)]);
    }
    for (int i = start; i < layers.size(); ++i) {
        if (flags_ && flags_->state == 1) return;  // after a loopBreak/loopContinue: never runs
        if (flags_ && flags_->state == -1) return guard_rest(layers, i, producers);
        later_ = after[static_cast<size_t>(i) + 1];
        translate_layer(layers, i, producers);
    }
}

void GraphTranslator::translate_layer(const Layers& layers, int index, const std::map<std::string, int>& producers) {
    const auto& layer = layers[index];
    std::vector<Var> inputs;
    for (const auto& name : layer.input()) {
        auto it = blobs_.find(name);
        if (it != blobs_.end()) {
            inputs.push_back(it->second);
            continue;
        }
        auto later = producers.find(name);
        if (later != producers.end() && later->second >= index)
            fail("layer '" + layer.name() + "' consumes blob '" + name + "' before layer '" + layers[later->second].name() +
                 "' produces it (layers must come in execution order; the graph may have a cycle)");
        fail("layer '" + layer.name() + "' consumes an input named '" + name +
             "' which is not produced by any layer nor a model input");
    }
    for (const auto& name : layer.output()) {
        if (!blobs_.count(name) || layer.layer_case() == L::kCopy) continue;
        auto first = producers.find(name);
        const std::string by = first != producers.end() && first->second < index
                                   ? "layer '" + layers[first->second].name() + "'"
                                   : std::string("a model input or an enclosing network");
        fail("layer '" + layer.name() + "' produces blob '" + name + "' which is also produced by " + by);
    }
    if (layer.layer_case() == L::kBranch) return translate_branch(layer, std::move(inputs));
    if (layer.layer_case() == L::kLoop) return translate_loop(layer, std::move(inputs));
    if (layer.layer_case() == L::kLoopBreak || layer.layer_case() == L::kLoopContinue)
        return translate_jump(layer, std::move(inputs));
    LayerContext ctx(writer_, layer, std::move(inputs), rank5_inputs_, origin_);
    find_layer(static_cast<int>(layer.layer_case()))(ctx);
    for (size_t i = 0; i < ctx.outputs().size(); ++i) {
        if (!ctx.outputs()[i]) ctx.fail("produced no value for output '" + layer.output(static_cast<int>(i)) + "'");
        blobs_[layer.output(static_cast<int>(i))] = *ctx.outputs()[i];
        fallback_.erase(layer.output(static_cast<int>(i)));
    }
}

}  // namespace opencoreml::nn
