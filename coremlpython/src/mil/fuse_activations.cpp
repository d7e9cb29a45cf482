// opencoreml ML programs: the plan-time fusion pass (see fuse_activations.hpp).
#include "mil/fuse_activations.hpp"

#include <limits>
#include <optional>
#include <unordered_map>

#include "mil/ops/linalg/epilogue.hpp"

namespace opencoreml::mil {
namespace {

struct Clamp {
    float lo, hi;
};

// Reads of each value by the nodes of `block` and of every block nested in them; block
// outputs count as reads that can never be fused away.
void count_uses(const Block& block, std::unordered_map<ValueId, int>& uses) {
    for (const Node& node : block.nodes) {
        for (const auto& [param, ids] : node.inputs)
            for (ValueId id : ids) ++uses[id];
        for (const Block& nested : node.blocks) count_uses(nested, uses);
    }
    for (ValueId id : block.outputs) uses[id] += 2;
}

std::optional<float> const_scalar(const LoadedFunction& fn, const Node& node, const char* param) {
    for (const auto& [name, ids] : node.inputs) {
        if (name != param || ids.size() != 1) continue;
        const ValueDef& def = fn.values[static_cast<size_t>(ids[0])];
        if (!def.is_const || def.info.is_string || def.constant.numel() != 1) return std::nullopt;
        return def.constant.to(DType::Float32).data<float>()[0];
    }
    return std::nullopt;
}

// The clamp a relu / relu6 / clip node applies to its input `x`, if it is one we can fuse.
std::optional<Clamp> clamp_of(const LoadedFunction& fn, const Node& node) {
    constexpr float inf = std::numeric_limits<float>::infinity();
    if (node.type == "relu") return Clamp{0.0f, inf};
    if (node.type == "relu6") return Clamp{0.0f, 6.0f};
    if (node.type == "clip") {
        auto lo = const_scalar(fn, node, "alpha"), hi = const_scalar(fn, node, "beta");
        if (lo && hi && *lo <= *hi) return Clamp{*lo, *hi};
    }
    return std::nullopt;
}

const std::vector<ValueId>* input_x(const Node& node) {
    for (const auto& [name, ids] : node.inputs)
        if (name == "x") return &ids;
    return nullptr;
}

// The first node after `from` that reads `value` (the caller checks it is the only reader),
// or -1.
std::ptrdiff_t next_reader(const Block& block, size_t from, ValueId value) {
    for (size_t j = from + 1; j < block.nodes.size(); ++j)
        for (const auto& [param, ids] : block.nodes[j].inputs)
            for (ValueId id : ids)
                if (id == value) return static_cast<std::ptrdiff_t>(j);
    return -1;
}

enum class Fused { None, Affine, Residual, Clamp };

// An add of `value` and a float32 tensor of exactly its (known) shape that already exists
// when node `at` runs: that other operand, or -1.
ValueId residual_operand(const LoadedFunction& fn, const Block& block, size_t at, ValueId value, const Node& add) {
    if (add.type != "add" || add.inputs.size() != 2) return -1;
    ValueId other = -1;
    int seen = 0;
    for (const auto& [param, ids] : add.inputs) {
        if ((param != "x" && param != "y") || ids.size() != 1) return -1;
        if (ids[0] == value) ++seen;
        else other = ids[0];
    }
    if (seen != 1 || other < 0) return -1;
    const InputInfo& a = fn.values[static_cast<size_t>(value)].info;
    const InputInfo& b = fn.values[static_cast<size_t>(other)].info;
    if (a.dtype != DType::Float32 || b.dtype != DType::Float32 || !a.rank_known || !b.rank_known || a.shape != b.shape ||
        a.is_list || b.is_list || a.is_state || b.is_state)
        return -1;
    for (int64_t d : a.shape)
        if (d < 0) return -1;
    for (size_t j = at; j < block.nodes.size(); ++j)  // made at or after `at`: not there yet
        for (ValueId id : block.nodes[j].outputs)
            if (id == other) return -1;
    return other;
}

// Folds `consumer` into `producer` (node `at` of `block`) when one of the rewrites applies.
Fused fuse_pair(LoadedFunction& fn, const Block& block, size_t at, Node& producer, const Node& consumer) {
    const ValueId value = producer.outputs[0];
    const ValueId result = consumer.outputs.size() == 1 ? consumer.outputs[0] : -1;
    // Same dtype on both sides: the folded op then rounds where the pair rounded last.
    if (result < 0 || fn.values[static_cast<size_t>(result)].info.dtype != fn.values[static_cast<size_t>(value)].info.dtype)
        return Fused::None;
    if (auto* residual_target = dynamic_cast<ResidualFusable*>(producer.kernel.get())) {
        const ValueId other = residual_operand(fn, block, at, value, consumer);
        if (other >= 0 && residual_target->fuse_residual()) {
            producer.inputs.push_back({"residual", {other}});
            return Fused::Residual;
        }
    }
    const auto* x = input_x(consumer);
    if (!x || x->size() != 1 || (*x)[0] != value) return Fused::None;  // the rest fold ops applied to x
    const auto* affine = dynamic_cast<const ChannelAffine*>(consumer.kernel.get());
    auto* affine_target = dynamic_cast<ChannelAffineFusable*>(producer.kernel.get());
    if (affine && affine_target) {
        std::vector<float> scale, shift;
        affine->channel_affine(scale, shift);
        return affine_target->fuse_channel_affine(scale, shift) ? Fused::Affine : Fused::None;
    }
    auto* clamp_target = dynamic_cast<ClampFusable*>(producer.kernel.get());
    const auto clamp = clamp_of(fn, consumer);
    return clamp_target && clamp && clamp_target->fuse_clamp(clamp->lo, clamp->hi) ? Fused::Clamp : Fused::None;
}

void fuse_block(LoadedFunction& fn, Block& block, const std::unordered_map<ValueId, int>& uses) {
    for (Node& node : block.nodes)
        for (Block& nested : node.blocks) fuse_block(fn, nested, uses);
    for (size_t i = 0; i < block.nodes.size(); ++i) {
        Node& producer = block.nodes[i];
        // conv -> batch_norm -> relu folds twice (conv -> add -> relu too): keep going while the
        // result has one reader, up to the first clamp (a second clamp would need the two
        // intervals composed).
        while (producer.outputs.size() == 1) {
            auto use = uses.find(producer.outputs[0]);
            if (use == uses.end() || use->second != 1) break;
            const std::ptrdiff_t j = next_reader(block, i, producer.outputs[0]);
            if (j < 0) break;
            const Fused fused = fuse_pair(fn, block, i, producer, block.nodes[static_cast<size_t>(j)]);
            if (fused == Fused::None) break;
            producer.outputs[0] = block.nodes[static_cast<size_t>(j)].outputs[0];
            block.nodes.erase(block.nodes.begin() + j);
            if (fused == Fused::Clamp) break;
        }
    }
}

}  // namespace

void fuse_activations(LoadedFunction& fn) {
    std::unordered_map<ValueId, int> uses;
    count_uses(fn.body, uses);
    fuse_block(fn, fn.body, uses);
}

}  // namespace opencoreml::mil
