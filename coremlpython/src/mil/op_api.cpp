// opencoreml ML programs: op registry and the shared helpers of BuildContext/RunContext.
#include "mil/op_api.hpp"

#include <algorithm>
#include <map>
#include <mutex>

#include "mil/ops/common/float_io.hpp"
#include "mil/thread_pool.hpp"

namespace opencoreml::mil {

namespace {

struct OpRegistry {
    std::mutex mutex;
    std::map<std::string, std::map<int, KernelFactory>> ops;  // name -> since -> factory
};

OpRegistry& op_registry() {
    static OpRegistry r;
    return r;
}

class FunctionKernel final : public Kernel {
public:
    explicit FunctionKernel(std::function<void(RunContext&)> fn) : fn_(std::move(fn)) {}
    void run(RunContext& ctx) const override { fn_(ctx); }

private:
    std::function<void(RunContext&)> fn_;
};

double element_as_double(const Tensor& t, int64_t i) {
    const Tensor one = t.reshaped({t.numel()});
    switch (t.dtype()) {
        case DType::Float32: return one.data<float>()[i];
        case DType::Float64: return one.data<double>()[i];
        case DType::Int32: return one.data<int32_t>()[i];
        case DType::Int64: return static_cast<double>(one.data<int64_t>()[i]);
        default: return t.to(DType::Float64).data<double>()[i];
    }
}

}  // namespace

void register_op(const char* name, int since, KernelFactory factory) {
    OpRegistry& r = op_registry();
    std::lock_guard<std::mutex> lock(r.mutex);
    r.ops[name][since] = std::move(factory);
}

const KernelFactory* find_op(const std::string& name, int opset) {
    OpRegistry& r = op_registry();
    std::lock_guard<std::mutex> lock(r.mutex);
    auto it = r.ops.find(name);
    if (it == r.ops.end()) return nullptr;
    // The newest definition whose first opset is not after the program's opset.
    auto def = it->second.upper_bound(opset);
    if (def == it->second.begin()) return nullptr;
    return &std::prev(def)->second;
}

std::vector<std::string> registered_ops() {
    OpRegistry& r = op_registry();
    std::lock_guard<std::mutex> lock(r.mutex);
    std::vector<std::string> names;
    for (const auto& [name, defs] : r.ops) names.push_back(name);
    return names;
}

std::unique_ptr<Kernel> make_kernel(std::function<void(RunContext&)> fn) {
    return std::make_unique<FunctionKernel>(std::move(fn));
}

// ---- BuildContext --------------------------------------------------------------------

bool BuildContext::is_const(const std::string& param, size_t index) const {
    if (!has_input(param) || index >= input_count(param)) return false;
    const InputInfo& in = input(param, index);
    return in.const_value != nullptr || in.const_strings != nullptr;
}

const Tensor& BuildContext::const_tensor(const std::string& param) const {
    if (!has_input(param)) fail("missing required input '" + param + "'");
    const InputInfo& in = input(param);
    if (!in.const_value) unsupported("input '" + param + "' must be a constant known when the model loads");
    return *in.const_value;
}

int64_t BuildContext::const_int(const std::string& param) const {
    const Tensor& t = const_tensor(param);
    if (t.numel() != 1) fail("input '" + param + "' must be a single integer");
    return static_cast<int64_t>(element_as_double(t, 0));
}

int64_t BuildContext::const_int(const std::string& param, int64_t fallback) const {
    return has_input(param) ? const_int(param) : fallback;
}

std::vector<int64_t> BuildContext::const_ints(const std::string& param) const {
    const Tensor& t = const_tensor(param);
    std::vector<int64_t> out(static_cast<size_t>(t.numel()));
    if (t.dtype() == DType::Int64) {
        const Tensor flat = t.reshaped({t.numel()});
        std::copy(flat.data<int64_t>(), flat.data<int64_t>() + t.numel(), out.begin());
        return out;
    }
    for (int64_t i = 0; i < t.numel(); ++i) out[static_cast<size_t>(i)] = static_cast<int64_t>(element_as_double(t, i));
    return out;
}

std::vector<int64_t> BuildContext::const_ints(const std::string& param, std::vector<int64_t> fallback) const {
    return has_input(param) ? const_ints(param) : fallback;
}

double BuildContext::const_float(const std::string& param) const {
    const Tensor& t = const_tensor(param);
    if (t.numel() != 1) fail("input '" + param + "' must be a single number");
    return element_as_double(t, 0);
}

double BuildContext::const_float(const std::string& param, double fallback) const {
    return has_input(param) ? const_float(param) : fallback;
}

std::vector<float> BuildContext::const_floats(const std::string& param) const {
    const Tensor f = const_tensor(param).to(DType::Float32);
    return std::vector<float>(f.data<float>(), f.data<float>() + f.numel());
}

bool BuildContext::const_bool(const std::string& param, bool fallback) const {
    if (!has_input(param)) return fallback;
    const Tensor& t = const_tensor(param);
    if (t.numel() != 1) fail("input '" + param + "' must be a single bool");
    return element_as_double(t, 0) != 0.0;
}

std::string BuildContext::const_string(const std::string& param) const {
    if (!has_input(param)) fail("missing required input '" + param + "'");
    const InputInfo& in = input(param);
    if (!in.const_strings || in.const_strings->size() != 1)
        fail("input '" + param + "' must be a constant string");
    return (*in.const_strings)[0];
}

std::string BuildContext::const_string(const std::string& param, const std::string& fallback) const {
    return has_input(param) ? const_string(param) : fallback;
}

// ---- RunContext ----------------------------------------------------------------------

// Widening an input and rounding an output are memory-bound passes over whole tensors; big
// ones are split over the pool (a chunk of kConvertGrain elements is a few microseconds).
constexpr int64_t kConvertGrain = 1 << 16;

Tensor RunContext::input_f32(const std::string& param, size_t index) {
    const Tensor& t = input(param, index);
    if (t.dtype() == DType::Float32) return t;
    Tensor out = scratch(DType::Float32, t.shape());
    const int64_t n = t.numel();
    float* dst = out.data<float>();
    if (is_float_type(t.dtype())) {
        const DType type = t.dtype();
        const void* src = t.raw();
        threads().parallel_for(n, kConvertGrain, [&](int64_t begin, int64_t end) {
            load_f32(type, src, begin, end - begin, dst + begin);
        });
    } else {
        const Tensor converted = t.to(DType::Float32);
        std::copy(converted.data<float>(), converted.data<float>() + n, dst);
    }
    return out;
}

void RunContext::store_f32_output(size_t index, const Tensor& values) {
    const DType want = output_dtype(index);
    Tensor& out = allocate_output(index, want, values.shape());
    const int64_t n = values.numel();
    const float* src = values.data<float>();
    if (is_float_type(want)) {
        void* dst = out.raw();
        threads().parallel_for(n, kConvertGrain, [&](int64_t begin, int64_t end) {
            store_f32(want, dst, begin, end - begin, src + begin);
        });
    } else {
        const Tensor converted = values.to(want);
        std::copy(static_cast<const uint8_t*>(converted.raw()), static_cast<const uint8_t*>(converted.raw()) + converted.nbytes(),
                  static_cast<uint8_t*>(out.raw()));
    }
}

}  // namespace opencoreml::mil
