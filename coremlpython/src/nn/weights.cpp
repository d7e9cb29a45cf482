// opencoreml neural networks: decoding WeightParams (see weights.hpp).
#include "nn/weights.hpp"

#include <algorithm>
#include <cstring>
#include <vector>

#include "opencoreml/error.hpp"

namespace opencoreml::nn {

namespace spec = CoreML::Specification;

namespace {

[[noreturn]] void bad(const std::string& what, const std::string& problem) {
    throw Error(ErrorCode::InvalidModel, what + ": " + problem);
}

// Quantized codes, `bits` wide, packed most significant bit first (byte-aligned for 8 bits).
std::vector<uint8_t> unpack_codes(const std::string& bytes, int64_t count, uint64_t bits, const std::string& what) {
    if (bits < 1 || bits > 8) bad(what, "quantized weights must use 1 to 8 bits, got " + std::to_string(bits));
    const uint64_t needed = (static_cast<uint64_t>(count) * bits + 7) / 8;
    if (bytes.size() < needed)
        bad(what, "holds " + std::to_string(bytes.size()) + " bytes, " + std::to_string(count) + " values of " +
                      std::to_string(bits) + " bits need " + std::to_string(needed));
    std::vector<uint8_t> codes(static_cast<size_t>(count));
    const auto* src = reinterpret_cast<const uint8_t*>(bytes.data());
    if (bits == 8) {
        std::memcpy(codes.data(), src, codes.size());
        return codes;
    }
    uint64_t bit = 0;
    for (auto& code : codes) {
        uint8_t v = 0;
        for (uint64_t k = 0; k < bits; ++k, ++bit) v = static_cast<uint8_t>((v << 1) | ((src[bit / 8] >> (7 - bit % 8)) & 1));
        code = v;
    }
    return codes;
}

// code * scale[c] + bias[c] with c the index along `channel_axis` of `shape`.
void dequantize_linear(const spec::LinearQuantizationParams& q, const std::vector<uint8_t>& codes, const Shape& shape,
                       int channel_axis, bool is_signed, float* out, const std::string& what) {
    const int64_t rank = static_cast<int64_t>(shape.size());
    const int64_t axis = rank == 0 ? 0 : std::min<int64_t>(channel_axis, rank - 1);
    const int64_t channels = rank == 0 ? 1 : shape[static_cast<size_t>(axis)];
    const int scales = q.scale_size();
    if (scales != 1 && scales != channels)
        bad(what, "linear quantization has " + std::to_string(scales) + " scales for " + std::to_string(channels) + " channels");
    if (q.bias_size() != 0 && q.bias_size() != scales)
        bad(what, "linear quantization has " + std::to_string(q.bias_size()) + " biases for " + std::to_string(scales) + " scales");
    int64_t inner = 1;
    for (int64_t d = axis + 1; d < rank; ++d) inner *= shape[static_cast<size_t>(d)];
    const int64_t n = static_cast<int64_t>(codes.size());
    for (int64_t i = 0; i < n; ++i) {
        const int c = scales == 1 ? 0 : static_cast<int>((i / inner) % channels);
        const float code = is_signed ? static_cast<float>(static_cast<int8_t>(codes[static_cast<size_t>(i)]))
                                     : static_cast<float>(codes[static_cast<size_t>(i)]);
        out[i] = code * q.scale(c) + (q.bias_size() ? q.bias(c) : 0.0f);
    }
}

void dequantize(const spec::WeightParams& w, const std::string& bytes, bool is_signed, const Shape& shape,
                int channel_axis, float* out, int64_t count, const std::string& what) {
    if (!w.has_quantization()) bad(what, "raw weight bytes need quantization parameters");
    const auto& q = w.quantization();
    const uint64_t bits = is_signed ? 8 : q.numberofbits();
    const std::vector<uint8_t> codes = unpack_codes(bytes, count, bits, what);
    if (q.has_linearquantization()) {
        dequantize_linear(q.linearquantization(), codes, shape, channel_axis, is_signed, out, what);
    } else if (q.has_lookuptablequantization() && !is_signed) {
        const auto& table = q.lookuptablequantization().floatvalue();
        if (table.size() != (1 << bits))
            bad(what, "a " + std::to_string(bits) + "-bit look-up table needs " + std::to_string(1 << bits) +
                          " entries, got " + std::to_string(table.size()));
        for (int64_t i = 0; i < count; ++i) out[i] = table.Get(codes[static_cast<size_t>(i)]);
    } else {
        bad(what, "unsupported quantization type for these weights");
    }
}

}  // namespace

Tensor load_weights(const spec::WeightParams& w, const Shape& shape, const std::string& what, int channel_axis) {
    const int64_t count = shape_numel(shape);
    Tensor out = Tensor::empty(DType::Float32, shape);
    float* dst = out.data<float>();
    auto check_count = [&](int64_t stored) {
        if (stored != count)
            bad(what, "holds " + std::to_string(stored) + " values, expected " + std::to_string(count) + " for shape " +
                          shape_to_string(shape));
    };
    if (w.floatvalue_size() > 0) {
        check_count(w.floatvalue_size());
        std::memcpy(dst, w.floatvalue().data(), static_cast<size_t>(count) * sizeof(float));
    } else if (!w.float16value().empty()) {
        const std::string& bytes = w.float16value();
        if (bytes.size() % 2) bad(what, "float16 weights have an odd number of bytes");
        check_count(static_cast<int64_t>(bytes.size() / 2));
        Tensor half = Tensor::empty(DType::Float16, shape);
        std::memcpy(half.raw(), bytes.data(), bytes.size());  // little-endian, as the host
        return half.to(DType::Float32);
    } else if (!w.rawvalue().empty()) {
        dequantize(w, w.rawvalue(), false, shape, channel_axis, dst, count, what);
    } else if (!w.int8rawvalue().empty()) {
        dequantize(w, w.int8rawvalue(), true, shape, channel_axis, dst, count, what);
    } else if (count != 0) {
        bad(what, "is empty, expected " + std::to_string(count) + " values");
    }
    return out;
}

}  // namespace opencoreml::nn
