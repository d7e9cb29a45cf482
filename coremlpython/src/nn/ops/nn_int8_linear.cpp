// opencoreml neural networks: nn_int8_linear, the int8DynamicQuantize form of innerProduct and
// batchedMatmul. Core ML quantizes the float input to int8 at run time and multiplies it with
// the layer's int8 weights, so results carry the input's quantization error; computing in
// float32 with dequantized weights would be more exact than Core ML, not equal to it. Here:
// one symmetric scale for the whole input (max |x| / 127), codes round(x / scale) (half to
// even) clamped to [-127, 127], products accumulated in int32, the sum times
// input scale x weight scale. Inputs: x [.., d_in] (float), weight (int8 [d_out, d_in]),
// weight_scale (float scalar). Output [.., d_out] float32.
#include <algorithm>
#include <cmath>

#include "mil/op_api.hpp"
#include "mil/ops/recurrent/recurrent_common.hpp"

namespace opencoreml::mil {

namespace {

class Int8LinearKernel : public Kernel {
public:
    Int8LinearKernel(Tensor weight, float weight_scale) : w_(std::move(weight)), w_scale_(weight_scale) {}

    void run(RunContext& ctx) const override {
        const Tensor x = ctx.input_f32("x");
        const int64_t d_out = w_.dim(0), d_in = w_.dim(1);
        if (x.rank() < 1 || x.dim(-1) != d_in)
            ctx.fail("input " + shape_to_string(x.shape()) + " must end with " + std::to_string(d_in) + " features");
        const int64_t rows = x.numel() / d_in;
        const float* xs = x.data<float>();
        float max_abs = 0.0f;
        for (int64_t i = 0; i < x.numel(); ++i) max_abs = std::max(max_abs, std::fabs(xs[i]));
        const float x_scale = max_abs > 0.0f ? max_abs / 127.0f : 1.0f;
        Tensor q = ctx.scratch(DType::Int8, x.shape());
        int8_t* qs = q.data<int8_t>();
        for (int64_t i = 0; i < x.numel(); ++i) {
            const float code = std::nearbyint(xs[i] / x_scale);
            qs[i] = std::isnan(code) ? int8_t{0} : static_cast<int8_t>(std::clamp(code, -127.0f, 127.0f));
        }
        Shape out_shape = x.shape();
        out_shape.back() = d_out;
        Tensor& y = ctx.allocate_output(0, DType::Float32, out_shape);
        float* ys = y.data<float>();
        const int8_t* ws = w_.data<int8_t>();
        const float rescale = x_scale * w_scale_;
        recurrent::for_each_row(ctx.threads(), rows, d_out * d_in, [&](int64_t r) {
            const int8_t* xr = qs + r * d_in;
            for (int64_t o = 0; o < d_out; ++o) {
                const int8_t* wr = ws + o * d_in;
                int32_t acc = 0;
                for (int64_t k = 0; k < d_in; ++k) acc += static_cast<int32_t>(xr[k]) * static_cast<int32_t>(wr[k]);
                ys[r * d_out + o] = static_cast<float>(acc) * rescale;
            }
        });
    }

private:
    Tensor w_;
    float w_scale_;
};

std::unique_ptr<Kernel> make_int8_linear(const BuildContext& b) {
    const Tensor& w = b.const_tensor("weight");
    if (w.dtype() != DType::Int8 || w.rank() != 2) b.fail("weight must be an int8 matrix [d_out, d_in]");
    return std::make_unique<Int8LinearKernel>(w, static_cast<float>(b.const_float("weight_scale")));
}

}  // namespace

OCML_REGISTER_MIL_OP("nn_int8_linear", kIOS15, make_int8_linear)

}  // namespace opencoreml::mil
