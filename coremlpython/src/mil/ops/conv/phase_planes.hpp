// opencoreml ML program ops: the input of a 1-D or 2-D window op (conv, depthwise conv) laid
// out so that every kernel tap reads a contiguous run. Each channel is copied, zero-padded,
// into one plane per stride phase (stride 2: even rows x even columns, even x odd, ...; stride
// 1: one padded plane). In that layout output pixel (oh, ow) of tap (th, tw) sits at
// tap_offset(th, tw) + oh * wph + ow: for a fixed tap, consecutive ow are consecutive floats,
// and so are whole rows if one computes wph >= ow columns per row and drops the extra ones.
#pragma once

#include <cstdint>

#include "mil/ops/common/thread_floats.hpp"
#include "mil/ops/conv/window.hpp"

namespace opencoreml::mil {

struct PhasePlanes {
    int64_t kh = 1, kw = 1, sh = 1, sw = 1, dh = 1, dw = 1, top = 0, left = 0;
    int64_t h = 1, w = 1, oh = 1, ow = 1;  // input and output rows and columns
    int64_t hph = 0, wph = 0;              // rows and columns of a phase plane
    int64_t slots = 1;                     // planes per channel (sh * sw; unused ones stay unwritten)
    int64_t plane = 0;                     // floats per plane, `slack` zeros after the data included
    uint64_t used = 0;                     // bit s: plane s is read by some tap (slots <= 64)

    // For a 1-D or 2-D window (window_is_planar) with `slack` zero floats after each plane:
    // reads run up to (oh + 1) * wph + slack - 1 columns from a tap's offset.
    static PhasePlanes make(const Window3& w, int64_t slack);

    int64_t taps() const { return kh * kw; }
    int64_t slot(int64_t th, int64_t tw) const { return (th * dh % sh) * sw + tw * dw % sw; }
    // Offset of tap (th, tw)'s output pixel (0, 0) from the channel's first plane.
    int64_t tap_offset(int64_t th, int64_t tw) const { return slot(th, tw) * plane + th * dh / sh * wph + tw * dw / sw; }
    bool slot_used(int64_t s) const;
    // Every used plane of `count` channels: channel c's input plane (h * w) at x + c * in_size,
    // its planes at dst + c * slots * plane. Copies the input rows only: dst must already hold
    // the layout's zero padding (phase_buffer).
    void fill_channels(const float* x, int64_t in_size, int64_t count, float* dst) const;
    // The same from an fp16 input, widened row by row.
    void fill_channels(const uint16_t* x, int64_t in_size, int64_t count, float* dst) const;

    bool operator==(const PhasePlanes& o) const;

private:
    template <class Rows>
    void fill_rows(const Rows& row_of, int64_t count, float* dst) const;
};

// A per-thread buffer (thread_floats `slot`) for `count` channels of `pp`'s planes, holding
// their zero padding. Each thread remembers the layout it last zeroed in each slot and zeroes
// only on a change, so refilling a buffer (the next run of channels, the next call of a layer
// of the same shape) copies only input rows. Every user of the slot must go through here.
float* phase_buffer(ThreadFloatSlot slot, const PhasePlanes& pp, int64_t count);

// Whether a window is 1-D or 2-D with padding that is not negative (what PhasePlanes takes).
bool window_is_planar(const Window3& w);

}  // namespace opencoreml::mil
