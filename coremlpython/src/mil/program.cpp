// opencoreml ML programs: loading one function of a MIL program — values and their types,
// constants (inline and weight-file), a kernel per op, folding of all-constant ops (this is
// how constexpr_* decompression runs, once), activation fusion and liveness for buffer
// recycling.
#include "mil/program.hpp"

#include <algorithm>
#include <set>
#include <unordered_map>

#include "mil/buffer_pool.hpp"
#include "mil/executor.hpp"
#include "mil/fuse_activations.hpp"
#include "mil/value_decode.hpp"

namespace opencoreml::mil {

namespace milspec = CoreML::Specification::MILSpec;

int opset_from_name(const std::string& name, const std::string& origin) {
    if (name == "CoreML5") return kIOS15;
    if (name == "CoreML6") return kIOS16;
    if (name == "CoreML7") return kIOS17;
    if (name == "CoreML8" || name == "CoreML9") return kIOS18;
    throw Error(ErrorCode::UnsupportedVersion, origin + ": unknown ML program opset '" + name + "'");
}

DType dtype_from_mil(milspec::DataType t, const std::string& where) {
    switch (t) {
        case milspec::BOOL: return DType::Bool;
        case milspec::FLOAT16: return DType::Float16;
        case milspec::FLOAT32: return DType::Float32;
        case milspec::FLOAT64: return DType::Float64;
        case milspec::BFLOAT16: return DType::BFloat16;
        case milspec::INT8: case milspec::INT4: return DType::Int8;
        case milspec::INT16: return DType::Int16;
        case milspec::INT32: return DType::Int32;
        case milspec::INT64: return DType::Int64;
        case milspec::UINT8: case milspec::UINT1: case milspec::UINT2: case milspec::UINT3: case milspec::UINT4:
        case milspec::UINT6: return DType::UInt8;
        case milspec::UINT16: return DType::UInt16;
        case milspec::UINT32: return DType::UInt32;
        case milspec::UINT64: return DType::UInt64;
        case milspec::FLOAT8E4M3FN: case milspec::FLOAT8E5M2: return DType::Float32;  // decoded at load
        default: throw Error(ErrorCode::InvalidModel, where + ": unsupported data type " + milspec::DataType_Name(t));
    }
}

namespace {

// Ops that must run at every predict even when their inputs are constant.
bool never_fold(const std::string& type) {
    static const std::set<std::string> kinds = {"read_state", "write_state", "cond", "while_loop", "make_list",
                                                "list_read", "list_write", "list_gather", "list_scatter", "list_length"};
    return kinds.count(type) || type.rfind("random_", 0) == 0;
}

InputInfo info_from_type(const milspec::ValueType& type, const std::string& where) {
    InputInfo info;
    if (type.has_tensortype()) {
        const auto& t = type.tensortype();
        info.is_string = t.datatype() == milspec::STRING;
        if (!info.is_string) info.dtype = dtype_from_mil(t.datatype(), where);
        info.shape = declared_shape(t);
        info.rank_known = t.rank() >= 0 || t.dimensions_size() > 0;
    } else if (type.has_statetype()) {
        info = info_from_type(type.statetype().wrappedtype(), where);
        info.is_state = true;
    } else if (type.has_listtype()) {
        info.is_list = true;
        if (type.listtype().type().has_tensortype()) {
            const auto& t = type.listtype().type().tensortype();
            if (t.datatype() == milspec::STRING) info.is_string = true;
            else info.dtype = dtype_from_mil(t.datatype(), where);
        }
    } else if (type.has_dictionarytype()) {
        info.rank_known = false;  // classifier probabilities: a dictionary, not a tensor
    }
    return info;
}

std::string op_name_of(const milspec::Operation& op) {
    auto it = op.attributes().find("name");
    if (it != op.attributes().end() && it->second.immediatevalue().tensor().strings().values_size())
        return it->second.immediatevalue().tensor().strings().values(0);
    return op.outputs_size() ? op.outputs(0).name() : op.type();
}

class Loader;

class NodeBuildContext final : public BuildContext {
public:
    NodeBuildContext(const Loader& loader, const Node& node, int opset) : loader_(loader), node_(node), opset_(opset) {}
    const std::string& op_type() const override { return node_.type; }
    const std::string& op_name() const override { return node_.name; }
    int opset() const override { return opset_; }
    bool has_input(const std::string& param) const override { return find(param) != nullptr; }
    size_t input_count(const std::string& param) const override {
        const auto* ids = find(param);
        return ids ? ids->size() : 0;
    }
    const InputInfo& input(const std::string& param, size_t index) const override;
    size_t output_count() const override { return node_.outputs.size(); }
    DType output_dtype(size_t index) const override;
    const Shape& output_shape(size_t index) const override;
    [[noreturn]] void fail(const std::string& problem) const override;
    [[noreturn]] void unsupported(const std::string& what) const override;

private:
    const std::vector<ValueId>* find(const std::string& param) const {
        for (const auto& [name, ids] : node_.inputs)
            if (name == param) return &ids;
        return nullptr;
    }
    const Loader& loader_;
    const Node& node_;
    int opset_;
};

class Loader {
public:
    Loader(const ProgramSource& source, LoadedFunction& fn, ThreadPool& threads, const std::shared_ptr<BufferPool>& pool)
        : source_(source), fn_(fn), threads_(threads), pool_(pool), weights_(source.model_dir) {}

    void load(const milspec::Function& function) {
        fn_.opset = opset_from_name(function.opset(), source_.origin);
        auto block = function.block_specializations().find(function.opset());
        if (block == function.block_specializations().end()) {
            if (function.block_specializations().size() != 1)
                fail_model("function '" + fn_.name + "' has no block for its opset " + function.opset());
            block = function.block_specializations().begin();
        }
        check_supported(block->second);
        for (const auto& input : function.inputs()) {
            const ValueId id = define(input.name(), info_from_type(input.type(), where_value(input.name())));
            fn_.inputs.emplace_back(input.name(), id);
        }
        load_block(block->second, fn_.body, {});
        fuse_activations(fn_);
        compute_liveness(fn_.body);
    }

    const ValueDef& value(ValueId id) const { return fn_.values[static_cast<size_t>(id)]; }
    const std::string& origin() const { return source_.origin; }

private:
    friend class NodeBuildContext;

    std::string where_value(const std::string& name) const { return source_.origin + ": value '" + name + "'"; }

    [[noreturn]] void fail_model(const std::string& problem) const {
        throw Error(ErrorCode::InvalidModel, source_.origin + ": " + problem);
    }

    // Every op type the program uses must have a kernel for the program's opset: list all
    // that do not, so one error tells the whole story.
    void check_supported(const milspec::Block& block) {
        std::set<std::string> missing;
        collect_missing(block, missing);
        if (missing.empty()) return;
        std::string list;
        for (const auto& m : missing) list += (list.empty() ? "" : ", ") + m;
        throw Error(ErrorCode::NotImplemented, source_.origin + ": the ML program uses op(s) this build does not support (opset iOS" +
                                                   std::to_string(fn_.opset) + "): " + list);
    }

    void collect_missing(const milspec::Block& block, std::set<std::string>& missing) const {
        for (const auto& op : block.operations()) {
            if (op.type() != "const" && !find_op(op.type(), fn_.opset)) missing.insert(op.type());
            for (const auto& nested : op.blocks()) collect_missing(nested, missing);
        }
    }

    ValueId define(const std::string& name, InputInfo info) {
        const ValueId id = static_cast<ValueId>(fn_.values.size());
        fn_.values.emplace_back();
        fn_.values.back().name = name;
        fn_.values.back().info = std::move(info);
        if (!name.empty()) scope_[name] = id;
        return id;
    }

    ValueId define_const(const std::string& name, DecodedValue decoded) {
        InputInfo info;
        info.is_string = decoded.is_string;
        if (!decoded.is_string) {
            info.dtype = decoded.tensor.dtype();
            info.shape = decoded.tensor.shape();
        } else {
            info.shape = decoded.strings.size() == 1 ? Shape{} : Shape{static_cast<int64_t>(decoded.strings.size())};
        }
        const ValueId id = define(name, info);
        ValueDef& def = fn_.values[static_cast<size_t>(id)];
        def.is_const = true;
        def.constant = std::move(decoded.tensor);
        def.strings = std::move(decoded.strings);
        finish_const(def);
        return id;
    }

    static void finish_const(ValueDef& def) {
        if (def.info.is_string) {
            def.info.const_strings = &def.strings;
            def.rt = def.strings.size() == 1 && def.info.shape.empty() ? RtValue(def.strings[0]) : RtValue(def.strings);
        } else {
            def.info.const_value = &def.constant;
            def.rt = def.constant;
        }
    }

    ValueId lookup(const std::string& name, const std::string& where) const {
        auto it = scope_.find(name);
        if (it == scope_.end()) fail_model(where + " refers to undefined value '" + name + "'");
        return it->second;
    }

    void load_block(const milspec::Block& block, Block& out, const std::vector<ValueId>& preset_inputs) {
        for (int i = 0; i < block.inputs_size(); ++i) {
            const auto& in = block.inputs(i);
            out.inputs.push_back(define(in.name(), info_from_type(in.type(), where_value(in.name()))));
        }
        for (const auto& op : block.operations()) load_op(op, out);
        for (const auto& name : block.outputs()) out.outputs.push_back(lookup(name, "block output"));
    }

    void load_op(const milspec::Operation& op, Block& block) {
        const std::string name = op_name_of(op);
        const std::string where = "op '" + name + "' (" + op.type() + ")";
        if (op.type() == "const") {
            if (const Tensor* preset = preset_constant(op)) {
                define_const(op.outputs(0).name(), DecodedValue{*preset, {}, false});
                return;
            }
            auto val = op.attributes().find("val");
            if (val == op.attributes().end() || op.outputs_size() != 1) fail_model(where + " has no value");
            define_const(op.outputs(0).name(), decode_value(val->second, weights_, source_.origin + ": " + where));
            return;
        }
        Node node;
        node.type = op.type();
        node.name = name;
        // Parameters bound by name or inline value; sorted for a deterministic layout.
        std::vector<std::string> params;
        for (const auto& [param, arg] : op.inputs()) params.push_back(param);
        std::sort(params.begin(), params.end());
        for (const auto& param : params) {
            std::vector<ValueId> ids;
            for (const auto& binding : op.inputs().at(param).arguments()) {
                if (binding.has_value())
                    ids.push_back(define_const("", decode_value(binding.value(), weights_, source_.origin + ": " + where)));
                else
                    ids.push_back(lookup(binding.name(), where + " input '" + param + "'"));
            }
            node.inputs.emplace_back(param, std::move(ids));
        }
        // Up to iOS17, constexpr ops (and a few others) carry their parameters as attributes.
        for (const auto& [attr, value] : op.attributes()) {
            if (attr == "name" || op.inputs().count(attr)) continue;
            node.inputs.emplace_back(attr, std::vector<ValueId>{
                define_const("", decode_value(value, weights_, source_.origin + ": " + where + " attribute '" + attr + "'"))});
        }
        for (const auto& nested : op.blocks()) {
            node.blocks.emplace_back();
            load_block(nested, node.blocks.back(), {});
        }
        for (const auto& out : op.outputs())
            node.outputs.push_back(define(out.name(), info_from_type(out.type(), where_value(out.name()))));

        const KernelFactory* factory = find_op(node.type, fn_.opset);
        NodeBuildContext ctx(*this, node, fn_.opset);
        node.kernel = (*factory)(ctx);
        if (!node.kernel) ctx.fail("kernel factory returned nothing");

        if (can_fold(node)) {
            fold(node, where);
            return;
        }
        block.nodes.push_back(std::move(node));
    }

    const Tensor* preset_constant(const milspec::Operation& op) const {
        if (!source_.preset_constants || op.outputs_size() != 1) return nullptr;
        auto it = source_.preset_constants->find(op.outputs(0).name());
        return it == source_.preset_constants->end() ? nullptr : &it->second;
    }

    bool can_fold(const Node& node) const {
        if (never_fold(node.type) || !node.blocks.empty() || node.inputs.empty()) return false;
        for (const auto& [param, ids] : node.inputs)
            for (ValueId id : ids)
                if (!value(id).is_const) return false;
        return true;
    }

    void fold(const Node& node, const std::string& where) {
        const ExecEnv env{fn_, *pool_, threads_, source_.origin};
        std::vector<RtValue> outs = fold_node(node, env);
        for (size_t i = 0; i < node.outputs.size(); ++i) {
            ValueDef& def = fn_.values[static_cast<size_t>(node.outputs[i])];
            if (auto* t = std::get_if<Tensor>(&outs[i])) {
                def.constant = t->clone();  // own the memory rather than hold a pool buffer
                def.info.dtype = def.constant.dtype();
                def.info.shape = def.constant.shape();
            } else if (auto* s = std::get_if<std::string>(&outs[i])) {
                def.info.is_string = true;
                def.strings = {*s};
                def.info.shape = {};
            } else if (auto* ss = std::get_if<Strings>(&outs[i])) {
                def.info.is_string = true;
                def.strings = *ss;
            } else {
                throw Error(ErrorCode::InvalidModel, source_.origin + ": " + where + " produced a value that cannot be a constant");
            }
            def.is_const = true;
            finish_const(def);
        }
    }

    // Release each non-constant value after the last node of its block that reads it (uses
    // inside nested blocks count as uses by the node owning them). Block outputs are kept.
    void compute_liveness(Block& block) {
        std::unordered_map<ValueId, size_t> last_use;
        std::set<ValueId> defined(block.inputs.begin(), block.inputs.end());
        for (size_t i = 0; i < block.nodes.size(); ++i) {
            Node& node = block.nodes[i];
            for (Block& nested : node.blocks) compute_liveness(nested);
            std::set<ValueId> refs;
            collect_refs(node, refs);
            for (ValueId id : refs) last_use[id] = i;
            for (ValueId id : node.outputs) {
                defined.insert(id);
                if (!last_use.count(id)) last_use[id] = i;  // unused outputs go right away
            }
        }
        const std::set<ValueId> kept(block.outputs.begin(), block.outputs.end());
        for (const auto& [id, index] : last_use) {
            if (kept.count(id) || !defined.count(id) || value(id).is_const || value(id).info.is_state) continue;
            block.nodes[index].release_after.push_back(id);
        }
    }

    static void collect_refs(const Node& node, std::set<ValueId>& refs) {
        for (const auto& [param, ids] : node.inputs) refs.insert(ids.begin(), ids.end());
        for (const Block& nested : node.blocks) {
            for (const Node& inner : nested.nodes) collect_refs(inner, refs);
            refs.insert(nested.outputs.begin(), nested.outputs.end());
        }
    }

    const ProgramSource& source_;
    LoadedFunction& fn_;
    ThreadPool& threads_;
    std::shared_ptr<BufferPool> pool_;
    WeightFiles weights_;
    std::unordered_map<std::string, ValueId> scope_;
};

const InputInfo& NodeBuildContext::input(const std::string& param, size_t index) const {
    const auto* ids = find(param);
    if (!ids || index >= ids->size()) fail("missing input '" + param + "'");
    return loader_.value((*ids)[index]).info;
}

DType NodeBuildContext::output_dtype(size_t index) const {
    if (index >= node_.outputs.size()) fail("has no output " + std::to_string(index));
    return loader_.value(node_.outputs[index]).info.dtype;
}

const Shape& NodeBuildContext::output_shape(size_t index) const {
    if (index >= node_.outputs.size()) fail("has no output " + std::to_string(index));
    return loader_.value(node_.outputs[index]).info.shape;
}

void NodeBuildContext::fail(const std::string& problem) const {
    throw Error(ErrorCode::InvalidModel, loader_.origin() + ": op '" + node_.name + "' (" + node_.type + "): " + problem);
}

void NodeBuildContext::unsupported(const std::string& what) const {
    throw Error(ErrorCode::NotImplemented, loader_.origin() + ": op '" + node_.name + "' (" + node_.type + "): " + what);
}

}  // namespace

std::unique_ptr<LoadedFunction> load_function(const ProgramSource& source, ThreadPool& threads,
                                              const std::shared_ptr<BufferPool>& pool) {
    auto it = source.program->functions().find(source.function_name);
    if (it == source.program->functions().end())
        throw Error(ErrorCode::InvalidArgument, source.origin + ": the ML program has no function '" + source.function_name + "'");
    auto fn = std::make_unique<LoadedFunction>();
    fn->name = source.function_name;
    Loader(source, *fn, threads, pool).load(it->second);
    return fn;
}

}  // namespace opencoreml::mil
