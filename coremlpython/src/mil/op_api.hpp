// opencoreml ML programs: the interface between the program engine and op kernels.
//
// An op is registered under its MIL name and the first opset it (or its revision) belongs
// to. At load, the engine calls the op's factory once per op instance with a BuildContext
// (constant parameters are known then: strides, axes, weights, ...); the factory validates
// them, pre-computes what it can and returns a Kernel. At predict time the engine calls
// Kernel::run with a RunContext holding the runtime inputs; the kernel computes output
// shapes from the actual input shapes and allocates outputs through the context (buffers
// come from a pool owned by the execution context and are reused across ops and calls).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "opencoreml/feature_value.hpp"
#include "opencoreml/tensor.hpp"

namespace opencoreml::mil {

// Opsets by the iOS release that introduced them (function opset "CoreML5" = iOS15 ... ).
enum Opset : int { kIOS15 = 15, kIOS16 = 16, kIOS17 = 17, kIOS18 = 18 };

// A string constant, scalar or list (MIL string tensors appear only as parameters).
using Strings = std::vector<std::string>;

// A list value (make_list / list_write / ...): element tensors, possibly unset.
struct ListValue {
    std::vector<Tensor> items;
    DType elem_dtype = DType::Float32;
    Shape elem_shape;        // -1 for dims not known before the first write
    bool dynamic_length = true;
};

// A value at run time: a tensor, a string, a classifier dictionary, or a list.
using RtValue = std::variant<std::monostate, Tensor, std::string, Strings, StringDictionary, Int64Dictionary,
                             std::shared_ptr<ListValue>>;

// Plan-time facts about one input binding of an op.
struct InputInfo {
    DType dtype = DType::Float32;
    Shape shape;              // dims of -1 are unknown until run time
    bool rank_known = true;
    bool is_string = false;   // a string constant (see const_strings)
    bool is_list = false;
    bool is_state = false;
    const Tensor* const_value = nullptr;    // set when known at load (const op or inline value)
    const Strings* const_strings = nullptr; // set for string constants
};

class BuildContext {
public:
    virtual ~BuildContext() = default;
    virtual const std::string& op_type() const = 0;
    virtual const std::string& op_name() const = 0;
    virtual int opset() const = 0;

    virtual bool has_input(const std::string& param) const = 0;
    virtual size_t input_count(const std::string& param) const = 0;  // > 1 for variadic inputs
    virtual const InputInfo& input(const std::string& param, size_t index = 0) const = 0;
    virtual size_t output_count() const = 0;
    virtual DType output_dtype(size_t index) const = 0;              // declared in the program
    virtual const Shape& output_shape(size_t index) const = 0;       // declared; -1 = unknown

    // Constant parameters (throw a clear error naming the op when absent or not constant,
    // unless a default is given).
    const Tensor& const_tensor(const std::string& param) const;
    int64_t const_int(const std::string& param) const;
    int64_t const_int(const std::string& param, int64_t fallback) const;
    std::vector<int64_t> const_ints(const std::string& param) const;
    std::vector<int64_t> const_ints(const std::string& param, std::vector<int64_t> fallback) const;
    double const_float(const std::string& param) const;
    double const_float(const std::string& param, double fallback) const;
    std::vector<float> const_floats(const std::string& param) const;  // any numeric constant as float32
    bool const_bool(const std::string& param, bool fallback) const;
    std::string const_string(const std::string& param) const;
    std::string const_string(const std::string& param, const std::string& fallback) const;
    bool is_const(const std::string& param, size_t index = 0) const;

    // Throws Error(InvalidModel) (or NotImplemented) naming the op, its type and the model.
    [[noreturn]] virtual void fail(const std::string& problem) const = 0;
    [[noreturn]] virtual void unsupported(const std::string& what) const = 0;
};

class ThreadPool;

class RunContext {
public:
    virtual ~RunContext() = default;
    virtual bool has_input(const std::string& param) const = 0;
    virtual size_t input_count(const std::string& param) const = 0;
    virtual const Tensor& input(const std::string& param, size_t index = 0) const = 0;
    virtual const RtValue& input_value(const std::string& param, size_t index = 0) const = 0;
    // Tensor of `shape` with the output's declared dtype (or `dtype`), from the buffer pool.
    virtual Tensor& allocate_output(size_t index, const Shape& shape) = 0;
    virtual Tensor& allocate_output(size_t index, DType dtype, const Shape& shape) = 0;
    virtual void set_output(size_t index, RtValue value) = 0;   // e.g. a view sharing an input's storage
    virtual DType output_dtype(size_t index) const = 0;
    // Scratch memory for the duration of run (from the pool).
    virtual Tensor scratch(DType dtype, const Shape& shape) = 0;
    virtual ThreadPool& threads() const = 0;
    // Control flow: runs nested block `block` of this op with the given inputs.
    virtual std::vector<RtValue> run_block(size_t block, const std::vector<RtValue>& inputs) = 0;
    // Stateful programs: the state tensor bound to a state-typed input.
    virtual Tensor& state(const std::string& param) = 0;
    [[noreturn]] virtual void fail(const std::string& problem) const = 0;

    // Inputs as float32 (fp16/bf16/float64 converted into scratch; float32 returned as is),
    // and storing a float32 result into output `index` rounded to its declared dtype.
    Tensor input_f32(const std::string& param, size_t index = 0);
    void store_f32_output(size_t index, const Tensor& values);
};

class Kernel {
public:
    virtual ~Kernel() = default;
    virtual void run(RunContext& ctx) const = 0;
};

using KernelFactory = std::function<std::unique_ptr<Kernel>(const BuildContext&)>;

// Registers an op; `since` is the first opset of this definition (a later registration of the
// same name with a higher `since` is the revised op for programs of that opset and newer).
void register_op(const char* name, int since, KernelFactory factory);
const KernelFactory* find_op(const std::string& name, int opset);
std::vector<std::string> registered_ops();

// A kernel from a plain function, for ops with no load-time state.
std::unique_ptr<Kernel> make_kernel(std::function<void(RunContext&)> fn);

}  // namespace opencoreml::mil

#define OCML_MIL_CONCAT_INNER(a, b) a##b
#define OCML_MIL_CONCAT(a, b) OCML_MIL_CONCAT_INNER(a, b)
// OCML_REGISTER_MIL_OP("relu", kIOS15, factory) in the kernel's own source file.
#define OCML_REGISTER_MIL_OP(name, since, factory)                                          \
    namespace {                                                                            \
    const bool OCML_MIL_CONCAT(ocml_mil_op_registered_, __LINE__) =                        \
        (::opencoreml::mil::register_op(name, ::opencoreml::mil::since, factory), true);   \
    }
