// opencoreml ML program ops: random_bernoulli (prob, default 0.5), random_normal (mean 0,
// stddev 1), random_uniform ([low, high), default [0, 1)) with a run-time `shape`, and
// random_categorical (samples `size` class indices per distribution over the last axis of x,
// given as logits or probabilities). All take an optional constant `seed` (default -1:
// different values on each call; any other seed gives the same values on every call).
// Outputs are fp16 or fp32 as declared; random numbers come from random_stream.hpp.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <vector>

#include "mil/op_api.hpp"
#include "mil/ops/common/float_io.hpp"
#include "mil/ops/elementwise/random_stream.hpp"
#include "mil/ops/elementwise/shape_input.hpp"
#include "mil/thread_pool.hpp"
#include "opencoreml/blob_codec.hpp"

namespace opencoreml::mil {
namespace {

struct Bernoulli {
    double prob;
    float operator()(uint64_t key, uint64_t i) const { return random::uniform(key, i) < prob ? 1.0f : 0.0f; }
};
// The double draw as the float32 the kernel stores: to nearest for an fp32 output, to odd for
// an fp16 one (rounded again when stored, it then lands on the fp16 value nearest the draw).
inline float narrow(double v, bool to_odd) { return to_odd ? blob::fp64_to_fp32_odd(v) : static_cast<float>(v); }

struct Normal {
    double mean, stddev;
    bool to_odd;
    float operator()(uint64_t key, uint64_t i) const { return narrow(mean + stddev * random::standard_normal(key, i), to_odd); }
};
struct Uniform {
    double low, high;
    float below_high;  // the largest value of the output type under `high`
    bool to_odd;
    float operator()(uint64_t key, uint64_t i) const {
        const float v = narrow(low + (high - low) * random::uniform(key, i), to_odd);
        return (v > below_high && high > low) ? below_high : v;
    }
};

// The largest fp32 or fp16 value smaller than `high`, so rounding never reaches it.
float largest_below(float high, DType type) {
    if (type != DType::Float16) return std::nextafter(high, -INFINITY);
    uint16_t h = blob::fp32_to_fp16(high);
    while (blob::fp16_to_fp32(h) >= high) {
        if (h == 0x0000) h = 0x8001;             // +0 -> smallest negative subnormal
        else if (h & 0x8000) h = uint16_t(h + 1);  // negative: larger magnitude
        else h = uint16_t(h - 1);
    }
    return blob::fp16_to_fp32(h);
}

template <class Dist>
class RandomFillKernel final : public Kernel {
public:
    RandomFillKernel(Dist dist, int64_t seed) : dist_(dist), seed_(seed) {}

    void run(RunContext& ctx) const override {
        const Shape shape = shape_from_input(ctx, "shape");
        Tensor& out = ctx.allocate_output(0, shape);
        if (!is_float_type(out.dtype())) ctx.fail(std::string("output must be fp16 or fp32, got ") + dtype_name(out.dtype()));
        const uint64_t key = random::stream_key(seed_);
        const DType type = out.dtype();
        void* dst = out.raw();
        ctx.threads().parallel_for(out.numel(), 1 << 13, [&](int64_t begin, int64_t end) {
            float buf[kFloatBlock];
            for (int64_t s = begin; s < end; s += kFloatBlock) {
                const int64_t m = std::min(kFloatBlock, end - s);
                for (int64_t j = 0; j < m; ++j) buf[j] = dist_(key, static_cast<uint64_t>(s + j));
                store_f32(type, dst, s, m, buf);
            }
        });
    }

private:
    Dist dist_;
    int64_t seed_;
};

void require_float_output(const BuildContext& ctx) {
    if (!is_float_type(ctx.output_dtype(0)))
        ctx.fail(std::string("output must be fp16 or fp32, got ") + dtype_name(ctx.output_dtype(0)));
}

template <class Dist>
std::unique_ptr<Kernel> random_fill(const BuildContext& ctx, Dist dist) {
    if (!ctx.has_input("shape")) ctx.fail("missing required input 'shape'");
    require_float_output(ctx);
    return std::make_unique<RandomFillKernel<Dist>>(dist, ctx.const_int("seed", -1));
}

std::unique_ptr<Kernel> make_bernoulli(const BuildContext& ctx) {
    const double prob = ctx.const_float("prob", 0.5);
    if (!(prob >= 0.0 && prob <= 1.0)) ctx.fail("prob must be in [0, 1], got " + std::to_string(prob));
    return random_fill(ctx, Bernoulli{prob});
}

std::unique_ptr<Kernel> make_normal(const BuildContext& ctx) {
    const double stddev = ctx.const_float("stddev", 1.0);
    if (!(stddev >= 0.0)) ctx.fail("stddev must not be negative, got " + std::to_string(stddev));
    require_float_output(ctx);
    return random_fill(ctx, Normal{ctx.const_float("mean", 0.0), stddev, ctx.output_dtype(0) == DType::Float16});
}

std::unique_ptr<Kernel> make_uniform(const BuildContext& ctx) {
    const double low = ctx.const_float("low", 0.0), high = ctx.const_float("high", 1.0);
    if (!(low <= high)) ctx.fail("low (" + std::to_string(low) + ") must not exceed high (" + std::to_string(high) + ")");
    require_float_output(ctx);
    return random_fill(ctx, Uniform{low, high, largest_below(static_cast<float>(high), ctx.output_dtype(0)),
                                    ctx.output_dtype(0) == DType::Float16});
}

// One categorical draw per (distribution row, sample): the first class whose cumulative
// probability exceeds u * total.
class CategoricalKernel final : public Kernel {
public:
    CategoricalKernel(bool logits, int64_t size, int64_t seed) : logits_(logits), size_(size), seed_(seed) {}

    void run(RunContext& ctx) const override {
        const Tensor& in = ctx.input("x");
        if (in.rank() < 1) ctx.fail("input 'x' must have at least one dimension (the classes)");
        const int64_t classes = in.dim(-1);
        Shape shape(in.shape().begin(), in.shape().end() - 1);
        const int64_t rows = shape_numel(shape);
        if (classes == 0 && rows > 0) ctx.fail("input 'x' has no classes to sample from (last dim is 0)");
        shape.push_back(size_);
        Tensor& out = ctx.allocate_output(0, shape);
        if (!is_float_type(out.dtype())) ctx.fail(std::string("output must be fp16 or fp32, got ") + dtype_name(out.dtype()));
        const Tensor x = ctx.input_f32("x");
        const float* values = x.data<float>();
        const uint64_t key = random::stream_key(seed_);
        const DType type = out.dtype();
        void* dst = out.raw();
        std::atomic<bool> bad_row{false};
        ctx.threads().parallel_for(rows, std::max<int64_t>(1, 4096 / std::max<int64_t>(1, classes)), [&](int64_t begin, int64_t end) {
            std::vector<double> cdf(static_cast<size_t>(classes));
            std::vector<float> samples(static_cast<size_t>(size_));
            for (int64_t r = begin; r < end; ++r) {
                const float* row = values + r * classes;
                double total = 0.0;
                if (logits_) {
                    const float top = *std::max_element(row, row + classes);
                    for (int64_t j = 0; j < classes; ++j) cdf[j] = total += std::exp(double(row[j]) - top);
                } else {
                    for (int64_t j = 0; j < classes; ++j) {
                        if (!(row[j] >= 0.0f)) bad_row = true;
                        cdf[j] = total += row[j] > 0.0f ? row[j] : 0.0f;
                    }
                }
                if (!(total > 0.0 && std::isfinite(total))) {
                    bad_row = true;
                    total = 1.0;
                }
                for (int64_t s = 0; s < size_; ++s) {
                    const double u = random::uniform(key, static_cast<uint64_t>(r * size_ + s)) * total;
                    const auto pick = std::upper_bound(cdf.begin(), cdf.end(), u) - cdf.begin();
                    samples[s] = static_cast<float>(std::min<int64_t>(pick, classes - 1));
                }
                store_f32(type, dst, r * size_, size_, samples.data());
            }
        });
        if (bad_row)
            ctx.fail(logits_ ? "input 'x' has a distribution whose logits are NaN or +inf"
                             : "input 'x' has a distribution with negative or NaN probabilities, or none above 0");
    }

private:
    bool logits_;
    int64_t size_, seed_;
};

std::unique_ptr<Kernel> make_categorical(const BuildContext& ctx) {
    if (!ctx.has_input("x")) ctx.fail("missing required input 'x'");
    const std::string mode = ctx.const_string("mode", "logits");
    if (mode != "logits" && mode != "probs") ctx.fail("mode must be 'logits' or 'probs', got '" + mode + "'");
    const int64_t size = ctx.const_int("size", 1);
    if (size < 1) ctx.fail("size must be at least 1, got " + std::to_string(size));
    require_float_output(ctx);
    return std::make_unique<CategoricalKernel>(mode == "logits", size, ctx.const_int("seed", -1));
}

}  // namespace

OCML_REGISTER_MIL_OP("random_bernoulli", kIOS15, make_bernoulli)
OCML_REGISTER_MIL_OP("random_normal", kIOS15, make_normal)
OCML_REGISTER_MIL_OP("random_uniform", kIOS15, make_uniform)
OCML_REGISTER_MIL_OP("random_categorical", kIOS15, make_categorical)

}  // namespace opencoreml::mil
