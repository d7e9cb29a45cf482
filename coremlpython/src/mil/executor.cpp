// opencoreml ML programs: the executor — RunContext over a Frame, block execution, buffer
// release after last use, and folding of all-constant nodes at load.
#include "mil/executor.hpp"

#include <chrono>

namespace opencoreml::mil {

namespace {

class FrameRunContext final : public RunContext {
public:
    FrameRunContext(const Node& node, Frame& frame, const ExecEnv& env) : node_(node), frame_(frame), env_(env) {}

    bool has_input(const std::string& param) const override { return find(param) != nullptr; }

    size_t input_count(const std::string& param) const override {
        const auto* ids = find(param);
        return ids ? ids->size() : 0;
    }

    const RtValue& input_value(const std::string& param, size_t index) const override {
        const auto* ids = find(param);
        if (!ids || index >= ids->size()) fail("missing input '" + param + "'");
        const ValueId id = (*ids)[index];
        const ValueDef& def = env_.function.values[static_cast<size_t>(id)];
        if (def.is_const) return def.rt;
        return frame_.values[static_cast<size_t>(id)];
    }

    const Tensor& input(const std::string& param, size_t index) const override {
        const RtValue& v = input_value(param, index);
        const Tensor* t = std::get_if<Tensor>(&v);
        if (!t) fail("input '" + param + "' is not a tensor");
        return *t;
    }

    Tensor& allocate_output(size_t index, const Shape& shape) override {
        return allocate_output(index, output_dtype(index), shape);
    }

    Tensor& allocate_output(size_t index, DType dtype, const Shape& shape) override {
        RtValue& slot = out_slot(index);
        slot = env_.pool.allocate(dtype, shape);
        return std::get<Tensor>(slot);
    }

    void set_output(size_t index, RtValue value) override { out_slot(index) = std::move(value); }

    DType output_dtype(size_t index) const override {
        if (index >= node_.outputs.size()) fail("has no output " + std::to_string(index));
        return env_.function.values[static_cast<size_t>(node_.outputs[index])].info.dtype;
    }

    Tensor scratch(DType dtype, const Shape& shape) override { return env_.pool.allocate(dtype, shape); }

    ThreadPool& threads() const override { return env_.threads; }

    std::vector<RtValue> run_block(size_t block, const std::vector<RtValue>& inputs) override {
        if (block >= node_.blocks.size()) fail("has no nested block " + std::to_string(block));
        return mil::run_block(node_.blocks[block], inputs, frame_, env_);
    }

    Tensor& state(const std::string& param) override {
        const auto* ids = find(param);
        if (!ids || ids->empty()) fail("missing state input '" + param + "'");
        RtValue& v = frame_.values[static_cast<size_t>((*ids)[0])];
        Tensor* t = std::get_if<Tensor>(&v);
        if (!t) fail("input '" + param + "' is not bound to a state");
        return *t;
    }

    [[noreturn]] void fail(const std::string& problem) const override {
        throw Error(ErrorCode::InvalidArgument, env_.origin + ": op '" + node_.name + "' (" + node_.type + "): " + problem);
    }

private:
    const std::vector<ValueId>* find(const std::string& param) const {
        for (const auto& [name, ids] : node_.inputs)
            if (name == param) return &ids;
        return nullptr;
    }
    RtValue& out_slot(size_t index) {
        if (index >= node_.outputs.size()) fail("has no output " + std::to_string(index));
        return frame_.values[static_cast<size_t>(node_.outputs[index])];
    }

    const Node& node_;
    Frame& frame_;
    const ExecEnv& env_;
};

}  // namespace

std::vector<RtValue> run_block(const Block& block, const std::vector<RtValue>& block_inputs, Frame& frame,
                               const ExecEnv& env) {
    for (size_t i = 0; i < block.inputs.size() && i < block_inputs.size(); ++i)
        frame.values[static_cast<size_t>(block.inputs[i])] = block_inputs[i];
    for (const Node& node : block.nodes) {
        FrameRunContext ctx(node, frame, env);
        if (env.profiler) {
            const auto start = std::chrono::steady_clock::now();
            node.kernel->run(ctx);
            env.profiler->record(node.type, node.name,
                                 std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - start).count());
        } else {
            node.kernel->run(ctx);
        }
        for (ValueId id : node.release_after) frame.values[static_cast<size_t>(id)] = std::monostate{};
    }
    std::vector<RtValue> outputs;
    outputs.reserve(block.outputs.size());
    for (ValueId id : block.outputs) {
        const ValueDef& def = env.function.values[static_cast<size_t>(id)];
        if (def.is_const) outputs.push_back(def.rt);
        else outputs.push_back(frame.values[static_cast<size_t>(id)]);
    }
    return outputs;
}

std::vector<RtValue> fold_node(const Node& node, const ExecEnv& env) {
    Frame frame(env.function.values.size());
    FrameRunContext ctx(node, frame, env);
    node.kernel->run(ctx);
    std::vector<RtValue> out;
    for (ValueId id : node.outputs) out.push_back(std::move(frame.values[static_cast<size_t>(id)]));
    return out;
}

}  // namespace opencoreml::mil
