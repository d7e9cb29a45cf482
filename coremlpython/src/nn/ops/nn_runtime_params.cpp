// opencoreml neural networks: ops whose NN layers may take parameters as run-time inputs where
// the MIL kernels read them when the model loads.
//  - nn_slice_dynamic: sliceDynamic with strides and masks given as inputs (x, begin, end,
//    stride, begin_mask, end_mask, squeeze_mask; any numeric dtype, one value per dim of x,
//    masks true when non-zero). The output rank is fixed when the model loads, so a run-time
//    squeeze mask must remove as many dims as the translation declared.
//  - nn_nms_dynamic: NonMaximumSuppression with the IoU threshold, score threshold or box count
//    given as inputs: at every run it builds the iOS15 non_maximum_suppression kernel with
//    those values, so both forms of the layer share one algorithm.
#include <cmath>
#include <map>

#include "mil/op_api.hpp"
#include "mil/ops/tensor/shape_helpers.hpp"
#include "mil/ops/tensor/slice_spec.hpp"

namespace opencoreml::mil {

namespace {

std::vector<int64_t> per_dim(RunContext& ctx, const char* param, size_t rank, bool as_bool) {
    const Tensor t = ctx.input(param).to(DType::Float64);
    if (static_cast<size_t>(t.numel()) != rank)
        ctx.fail(std::string(param) + " needs " + std::to_string(rank) + " values (the rank of the input), got " +
                 std::to_string(t.numel()));
    std::vector<int64_t> out(rank);
    for (size_t i = 0; i < rank; ++i) {
        const double v = t.data<double>()[i];
        if (!std::isfinite(v) || std::fabs(v) > 9.0e15) ctx.fail(std::string(param) + " holds " + std::to_string(v) + ", not an index");
        out[i] = as_bool ? (v != 0.0) : static_cast<int64_t>(v);
    }
    return out;
}

std::unique_ptr<Kernel> make_slice_dynamic(const BuildContext& b) {
    const size_t out_rank = b.output_shape(0).size();
    return make_kernel([out_rank](RunContext& ctx) {
        const Tensor& x = ctx.input("x");
        const size_t r = static_cast<size_t>(x.rank());
        IndexSliceParams p;
        p.stride = per_dim(ctx, "stride", r, false);
        for (size_t d = 0; d < r; ++d)
            if (p.stride[d] == 0) ctx.fail("strides must not be 0");
        auto mask = [&](const char* param) {
            const std::vector<int64_t> v = per_dim(ctx, param, r, true);
            return std::vector<char>(v.begin(), v.end());
        };
        p.begin_mask = mask("begin_mask");
        p.end_mask = mask("end_mask");
        p.squeeze_mask = mask("squeeze_mask");
        SliceWalk w;
        const std::string problem =
            resolve_index_slice(x.shape(), per_dim(ctx, "begin", r, false), per_dim(ctx, "end", r, false), p, w);
        if (!problem.empty()) ctx.fail(problem);
        if (w.result_shape.size() != out_rank)
            ctx.fail("the squeeze masks leave rank " + std::to_string(w.result_shape.size()) + " but the model was loaded for rank " +
                     std::to_string(out_rank) + " (the layer's squeezeMasks parameter)");
        Tensor& out = ctx.allocate_output(0, x.dtype(), w.result_shape);
        gather_strided(dtype_size(x.dtype()), w.counts, slice_source(x, w), out.raw(), &ctx.threads());
    });
}

// The build context of the wrapped NMS kernel: boxes and scores as the outer op saw them, the
// run-time parameters as constants.
class RunTimeBuild final : public BuildContext {
public:
    RunTimeBuild(RunContext& run, const std::string& name, const std::map<std::string, InputInfo>& inputs,
                 const std::vector<DType>& out_dtypes, const std::vector<Shape>& out_shapes)
        : run_(run), name_(name), inputs_(inputs), out_dtypes_(out_dtypes), out_shapes_(out_shapes) {}
    const std::string& op_type() const override { return type_; }
    const std::string& op_name() const override { return name_; }
    int opset() const override { return kIOS15; }
    bool has_input(const std::string& param) const override { return inputs_.count(param) > 0; }
    size_t input_count(const std::string& param) const override { return inputs_.count(param); }
    const InputInfo& input(const std::string& param, size_t) const override {
        auto it = inputs_.find(param);
        if (it == inputs_.end()) fail("missing input '" + param + "'");
        return it->second;
    }
    size_t output_count() const override { return out_dtypes_.size(); }
    DType output_dtype(size_t i) const override { return out_dtypes_.at(i); }
    const Shape& output_shape(size_t i) const override { return out_shapes_.at(i); }
    [[noreturn]] void fail(const std::string& problem) const override { run_.fail(problem); }
    [[noreturn]] void unsupported(const std::string& what) const override { run_.fail(what + " is not supported"); }

private:
    RunContext& run_;
    const std::string type_ = "non_maximum_suppression";
    const std::string& name_;
    const std::map<std::string, InputInfo>& inputs_;
    const std::vector<DType>& out_dtypes_;
    const std::vector<Shape>& out_shapes_;
};

class NmsDynamicKernel : public Kernel {
public:
    NmsDynamicKernel(const BuildContext& b) : name_(b.op_name()) {
        for (const char* param : {"boxes", "scores"}) {
            inputs_[param] = b.input(param);
            inputs_[param].const_value = nullptr;  // the wrapped kernel reads them at run time
        }
        per_class_ = Tensor::scalar<bool>(b.const_bool("per_class_suppression", false));
        for (size_t i = 0; i < b.output_count(); ++i) {
            out_dtypes_.push_back(b.output_dtype(i));
            out_shapes_.push_back(b.output_shape(i));
        }
        factory_ = find_op("non_maximum_suppression", kIOS15);
        if (!factory_) b.unsupported("the iOS15 op non_maximum_suppression");
    }

    void run(RunContext& ctx) const override {
        auto scalar = [&](const char* param) {
            const Tensor& t = ctx.input(param);
            if (t.numel() != 1) ctx.fail(std::string(param) + " must hold one value, got shape " + shape_to_string(t.shape()));
            return t.to(DType::Float64).data<double>()[0];
        };
        const double max_boxes = scalar("max_boxes");
        if (!(max_boxes >= 0 && max_boxes <= 1.0e8))
            ctx.fail("the maximum number of boxes must be between 0 and 1e8, got " + std::to_string(max_boxes));
        const Tensor iou = Tensor::scalar<float>(static_cast<float>(scalar("iou_threshold")));
        const Tensor score = Tensor::scalar<float>(static_cast<float>(scalar("score_threshold")));
        const Tensor count = Tensor::scalar<int32_t>(static_cast<int32_t>(max_boxes));
        std::map<std::string, InputInfo> inputs = inputs_;
        const std::pair<const char*, const Tensor*> params[] = {
            {"iou_threshold", &iou}, {"score_threshold", &score}, {"max_boxes", &count}, {"per_class_suppression", &per_class_}};
        for (const auto& [param, value] : params) {
            InputInfo info;
            info.dtype = value->dtype();
            info.const_value = value;
            inputs[param] = info;
        }
        const RunTimeBuild build(ctx, name_, inputs, out_dtypes_, out_shapes_);
        (*factory_)(build)->run(ctx);
    }

private:
    std::string name_;
    std::map<std::string, InputInfo> inputs_;
    Tensor per_class_;
    std::vector<DType> out_dtypes_;
    std::vector<Shape> out_shapes_;
    const KernelFactory* factory_ = nullptr;
};

}  // namespace

OCML_REGISTER_MIL_OP("nn_slice_dynamic", kIOS15, make_slice_dynamic)
OCML_REGISTER_MIL_OP("nn_nms_dynamic", kIOS15, [](const BuildContext& b) -> std::unique_ptr<Kernel> {
    return std::make_unique<NmsDynamicKernel>(b);
})

}  // namespace opencoreml::mil
