// opencoreml ML programs: a loaded function of a MIL program — its values (typed, some
// constant), its blocks of nodes in execution order with a kernel each, and the liveness
// information the executor uses to recycle buffers. Built once at load; immutable after.
#pragma once

#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "MIL.pb.h"
#include "mil/op_api.hpp"

namespace opencoreml::mil {

using ValueId = int32_t;

struct ValueDef {
    std::string name;
    InputInfo info;            // dtype/shape/flags; info.const_value points into `constant`
    Tensor constant;
    Strings strings;
    bool is_const = false;
    RtValue rt;                // the constant as the executor hands it to kernels
};

struct Block;

struct Node {
    std::string type, name;
    std::vector<std::pair<std::string, std::vector<ValueId>>> inputs;  // parameter -> bound values
    std::vector<ValueId> outputs;
    std::vector<Block> blocks;
    std::unique_ptr<Kernel> kernel;
    std::vector<ValueId> release_after;  // values whose last use is this node
};

struct Block {
    std::vector<ValueId> inputs;
    std::vector<Node> nodes;
    std::vector<ValueId> outputs;
};

struct LoadedFunction {
    std::string name;
    int opset = kIOS15;
    std::deque<ValueDef> values;  // deque: InputInfo::const_value points into elements
    std::vector<std::pair<std::string, ValueId>> inputs;  // function inputs (tensors and states)
    Block body;
};

struct ProgramSource {
    const CoreML::Specification::MILSpec::Program* program;
    std::string function_name;  // resolved (never empty)
    std::string model_dir;      // for @model_path weight references
    std::string origin;         // for errors: "model '/x/y.mlpackage'"
    int num_threads = 0;
    // Constants handed over as ready tensors by front ends that build a program in memory
    // (the neural-network translator): a `const` op whose output name is a key here takes
    // that tensor, sharing its storage, instead of decoding a `val` attribute.
    const std::map<std::string, Tensor>* preset_constants = nullptr;
};

// Loads and plans one function; throws Error(NotImplemented) listing every unsupported op,
// Error(InvalidModel) for a malformed program (undefined value, bad weights, ...).
std::unique_ptr<LoadedFunction> load_function(const ProgramSource& source, ThreadPool& threads,
                                              const std::shared_ptr<class BufferPool>& pool);

int opset_from_name(const std::string& name, const std::string& origin);
DType dtype_from_mil(CoreML::Specification::MILSpec::DataType t, const std::string& where);

}  // namespace opencoreml::mil
