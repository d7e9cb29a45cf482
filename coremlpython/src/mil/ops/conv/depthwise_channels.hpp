// opencoreml ML program ops: depthwise 2-D convolution vectorised across channels, for the
// small planes of a CNN's late stages (4x4, 8x8: MobileNet's 192-960-channel layers). There a
// per-plane loop spends more on padding and loop set-up than on its few multiply-adds; this
// path transposes eight channels at a time into [position][8 channels] blocks, so every tap
// is one eight-wide multiply-add over the channels, then transposes the result back.
#pragma once

#include <cstdint>

#include "mil/ops/conv/window.hpp"

namespace opencoreml::mil {

// Channels per block.
constexpr int64_t kDepthwiseLanes = 8;

// Floats of scratch one block needs for window `w`, or 0 when this path does not apply
// (not 2-D, negative padding, or planes wide enough for the per-plane loop).
int64_t depthwise_channels_scratch(const Window3& w);

// Channels [c0, c0 + 8) of one batch item: x and out point at the item's first plane,
// out pre-filled with the bias; weight holds taps() values per channel.
void depthwise_channels8(const float* x, const float* weight, const Window3& w, float* out, int64_t c0, float* scratch);

}  // namespace opencoreml::mil
