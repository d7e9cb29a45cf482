// opencoreml neural networks: image inputs and outputs (see image_io.hpp).
#include "nn/image_io.hpp"

#include <algorithm>
#include <cmath>

#include "opencoreml/error.hpp"

namespace opencoreml::nn {

namespace spec = CoreML::Specification;

namespace {

bool is_gray(const spec::ImageFeatureType& type) {
    return type.colorspace() == spec::ImageFeatureType::GRAYSCALE ||
           type.colorspace() == spec::ImageFeatureType::GRAYSCALE_FLOAT16;
}

// Index of the caller's pixel channel (RGB(A) or gray) that feeds model channel `ch`.
int64_t source_channel(const spec::ImageFeatureType& type, int64_t ch) {
    if (is_gray(type)) return 0;
    return type.colorspace() == spec::ImageFeatureType::BGR ? 2 - ch : ch;
}

}  // namespace

ImagePreprocessing image_preprocessing(const NetworkSpec& net, const std::string& feature,
                                       const spec::ImageFeatureType& type) {
    ImagePreprocessing pre;
    for (const auto& p : net.preprocessing) {
        if (p.featurename() != feature && !(p.featurename().empty() && net.preprocessing.size() == 1)) continue;
        if (p.has_scaler()) {
            const auto& s = p.scaler();
            pre.scale = s.channelscale();
            if (is_gray(type)) pre.bias = {s.graybias()};
            else if (type.colorspace() == spec::ImageFeatureType::BGR) pre.bias = {s.bluebias(), s.greenbias(), s.redbias()};
            else pre.bias = {s.redbias(), s.greenbias(), s.bluebias()};
        } else if (p.has_meanimage()) {
            pre.mean.assign(p.meanimage().meanimage().begin(), p.meanimage().meanimage().end());
        }
    }
    return pre;
}

Tensor image_to_input(const ImageValue& image, const spec::ImageFeatureType& type, const ImagePreprocessing& pre,
                      bool rank5, const std::string& where) {
    const int64_t h = image.height(), w = image.width(), plane = h * w;
    const int64_t channels = is_gray(type) ? 1 : 3;
    if (!pre.mean.empty() && static_cast<int64_t>(pre.mean.size()) != channels * plane)
        throw Error(ErrorCode::InvalidArgument, where + ": the mean image has " + std::to_string(pre.mean.size()) +
                                                    " values but the image has " + std::to_string(channels * plane));
    Tensor out = Tensor::empty(DType::Float32, rank5 ? Shape{1, 1, channels, h, w} : Shape{1, channels, h, w});
    float* dst = out.data<float>();
    const bool float_pixels = image.pixels.dtype() == DType::Float32;
    const int64_t stride = image.channels();
    for (int64_t ch = 0; ch < channels; ++ch) {
        const int64_t src_ch = source_channel(type, ch);
        const float bias = pre.bias.empty() ? 0.0f : pre.bias[static_cast<size_t>(ch)];
        const float* mean = pre.mean.empty() ? nullptr : pre.mean.data() + ch * plane;
        float* out_plane = dst + ch * plane;
        if (float_pixels) {
            const float* src = image.pixels.data<float>();
            for (int64_t i = 0; i < plane; ++i) out_plane[i] = pre.scale * src[i] + bias;
        } else {
            const uint8_t* src = image.pixels.data<uint8_t>() + src_ch;
            for (int64_t i = 0; i < plane; ++i) out_plane[i] = pre.scale * static_cast<float>(src[i * stride]) + bias;
        }
        if (mean)
            for (int64_t i = 0; i < plane; ++i) out_plane[i] -= mean[i];
    }
    return out;
}

ImageValue blob_to_image(const Tensor& blob, const spec::ImageFeatureType& type, const std::string& where) {
    if (blob.rank() < 3) throw Error(ErrorCode::InvalidModel, where + ": an image output needs a blob of rank 3 or more");
    const int64_t c = blob.dim(-3), h = blob.dim(-2), w = blob.dim(-1), plane = h * w;
    const Tensor f = blob.to(DType::Float32);
    const float* src = f.data<float>();
    if (type.colorspace() == spec::ImageFeatureType::GRAYSCALE_FLOAT16)
        return ImageValue{Tensor(f.clone()).reshaped({h, w})};
    const int64_t out_c = is_gray(type) ? 1 : 3;
    if (c < out_c)
        throw Error(ErrorCode::InvalidModel, where + ": an image output needs " + std::to_string(out_c) +
                                                 " channels, the blob has " + std::to_string(c));
    Tensor pixels = Tensor::empty(DType::UInt8, {h, w, out_c});
    uint8_t* dst = pixels.data<uint8_t>();
    for (int64_t ch = 0; ch < out_c; ++ch) {
        const float* p = src + source_channel(type, ch) * plane;
        for (int64_t i = 0; i < plane; ++i)
            dst[i * out_c + ch] = static_cast<uint8_t>(std::lround(std::min(255.0f, std::max(0.0f, p[i]))));
    }
    return ImageValue{pixels};
}

}  // namespace opencoreml::nn
