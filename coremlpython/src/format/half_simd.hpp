// opencoreml blob storage: vectorised float16 <-> float32 array conversion. One routine per
// direction is chosen once, at first use, for the CPU the process runs on (F16C on x86-64,
// NEON on aarch64, the scalar loop elsewhere). Every routine gives exactly the scalar
// conversions' bits (blob_codec.hpp), NaN payloads included.
#pragma once

#include <cstddef>
#include <cstdint>

namespace opencoreml::blob::detail {

using HalfWidenFn = void (*)(const uint16_t* src, float* dst, size_t n);
using HalfNarrowFn = void (*)(const float* src, uint16_t* dst, size_t n);

struct HalfConverters {
    HalfWidenFn widen;    // fp16 -> fp32
    HalfNarrowFn narrow;  // fp32 -> fp16, round to nearest even
    const char* name;     // "f16c", "neon" or "scalar"
};

// The routines for this CPU. OPENCOREML_SCALAR_FP16=1 in the environment (read once) forces
// the scalar loops, for comparisons and as a way out should a vector path misbehave.
const HalfConverters& half_converters();

// The scalar loops, always available.
void widen_half_scalar(const uint16_t* src, float* dst, size_t n);
void narrow_half_scalar(const float* src, uint16_t* dst, size_t n);

}  // namespace opencoreml::blob::detail
