// opencoreml ML program ops: PhasePlanes (phase_planes.hpp).
#include "mil/ops/conv/phase_planes.hpp"

#include <algorithm>
#include <cstring>

#include "kernels/tap_sum.hpp"
#include "opencoreml/blob_codec.hpp"
#include "mil/ops/conv/conv_loops.hpp"

namespace opencoreml::mil {

bool window_is_planar(const Window3& w) {
    return w.in[0] == 1 && w.out[0] == 1 && w.k[0] == 1 && w.before[1] >= 0 && w.before[2] >= 0 && w.out_size() > 0;
}

PhasePlanes PhasePlanes::make(const Window3& win, int64_t slack) {
    PhasePlanes p;
    p.kh = win.k[1], p.kw = win.k[2], p.sh = win.s[1], p.sw = win.s[2], p.dh = win.d[1], p.dw = win.d[2];
    p.top = win.before[1], p.left = win.before[2];
    p.h = win.in[1], p.w = win.in[2], p.oh = win.out[1], p.ow = win.out[2];
    // The padded input actually read, split into sh x sw phases.
    const int64_t hp = (p.oh - 1) * p.sh + (p.kh - 1) * p.dh + 1, wp = (p.ow - 1) * p.sw + (p.kw - 1) * p.dw + 1;
    p.hph = (hp + p.sh - 1) / p.sh, p.wph = (wp + p.sw - 1) / p.sw;
    p.slots = p.sh * p.sw;
    // A tap's row index oh + th * dh / sh stays below hph, so reads end within one row past the data.
    p.plane = p.hph * p.wph + p.wph + slack;
    uint64_t used = 0;  // assigned at the end: slot_used reads the mask once it is set
    for (int64_t s = 0; s < std::min<int64_t>(p.slots, 64); ++s)
        if (p.slot_used(s)) used |= uint64_t(1) << s;
    p.used = used;
    return p;
}

bool PhasePlanes::slot_used(int64_t s) const {
    if (used && s < 64) return (used >> s) & 1;
    const int64_t rh = s / sw, rw = s % sw;
    bool row = false, col = false;
    for (int64_t t = 0; t < kh && !row; ++t) row = t * dh % sh == rh;
    for (int64_t t = 0; t < kw && !col; ++t) col = t * dw % sw == rw;
    return row && col;
}

bool PhasePlanes::operator==(const PhasePlanes& o) const {
    return kh == o.kh && kw == o.kw && sh == o.sh && sw == o.sw && dh == o.dh && dw == o.dw && top == o.top &&
           left == o.left && h == o.h && w == o.w && oh == o.oh && ow == o.ow && hph == o.hph && wph == o.wph &&
           slots == o.slots && plane == o.plane;
}

float* phase_buffer(ThreadFloatSlot slot, const PhasePlanes& pp, int64_t count) {
    struct Zeroed {
        const float* buffer = nullptr;
        PhasePlanes layout;
        int64_t count = 0;
    };
    thread_local Zeroed zeroed[kThreadFloatSlots];
    float* buffer = thread_floats(slot, static_cast<size_t>(count * pp.slots * pp.plane));
    Zeroed& z = zeroed[slot];
    if (z.buffer != buffer || !(z.layout == pp) || z.count < count) {
        std::memset(buffer, 0, static_cast<size_t>(count * pp.slots * pp.plane) * sizeof(float));
        z = {buffer, pp, count};
    }
    return buffer;
}

namespace {

// Input row ih of channel c as float32: in place, or an fp16 row widened into a buffer.
struct RowSource {
    const float* x;
    const uint16_t* x16;
    int64_t in_size, w;
    float* buf;  // w floats, for x16
    const float* operator()(int64_t c, int64_t ih) const {
        if (x) return x + c * in_size + ih * w;
        blob::fp16_to_fp32(x16 + c * in_size + ih * w, buf, static_cast<size_t>(w));
        return buf;
    }
};

}  // namespace

void PhasePlanes::fill_channels(const float* x, int64_t in_size, int64_t count, float* dst) const {
    fill_rows(RowSource{x, nullptr, in_size, w, nullptr}, count, dst);
}

void PhasePlanes::fill_channels(const uint16_t* x, int64_t in_size, int64_t count, float* dst) const {
    fill_rows(RowSource{nullptr, x, in_size, w, thread_floats(kSlotRowIn, static_cast<size_t>(w))}, count, dst);
}

template <class Rows>
void PhasePlanes::fill_rows(const Rows& row_of, int64_t count, float* dst) const {
    // Input rows only: the padding around them is zero already (phase_buffer), and writing it
    // per row (two library calls a row) cost several times the copy itself.
    // Stride-2 columns: each input row is split into both column phases in one pass
    // (kernels::split_even_odd) when both are read. Padded column 2t + r of phase r is input
    // column 2t + r - left: with left = 2m the even input columns start phase 0 at m and the
    // odd ones phase 1 at m; with left = 2m + 1 the even ones start phase 1 at m and the odd
    // ones phase 0 at m + 1.
    for (int64_t s = 0; s < slots; ++s) {
        if (!slot_used(s)) continue;
        const int64_t rh = s / sw, rw = s % sw, off = rw - left;
        if (sw == 2 && rw == 0 && slot_used(s + 1)) {
            int64_t a0 = 0, a1 = 0;
            valid_range(hph, h, sh, rh - top, a0, a1);
            const int64_t m = left / 2, odd_left = left % 2;
            const int64_t even_at = m, odd_at = m + odd_left;  // first phase column of each
            const int64_t pairs = std::max<int64_t>(0, std::min(w / 2, wph - std::max(even_at, odd_at)));
            for (int64_t c = 0; c < count; ++c) {
                float* phase0 = dst + c * slots * plane + s * plane;
                float* phase1 = phase0 + plane;
                float* evens = odd_left ? phase1 : phase0;  // where even input columns go
                float* odds = odd_left ? phase0 : phase1;
                for (int64_t a = a0; a < a1; ++a) {
                    const float* row = row_of(c, a * sh + rh - top);
                    kernels::split_even_odd(row, evens + a * wph + even_at, odds + a * wph + odd_at, pairs);
                    // Columns past the whole pairs: an odd row's last, or one the other phase had no room for.
                    for (int64_t i = pairs; even_at + i < wph && 2 * i < w; ++i) evens[a * wph + even_at + i] = row[2 * i];
                    for (int64_t i = pairs; odd_at + i < wph && 2 * i + 1 < w; ++i) odds[a * wph + odd_at + i] = row[2 * i + 1];
                }
            }
            ++s;  // the odd phase is done too
            continue;
        }
        int64_t lo = 0, hi = 0, a0 = 0, a1 = 0;
        valid_range(wph, w, sw, off, lo, hi);
        valid_range(hph, h, sh, rh - top, a0, a1);  // phase rows holding input rows
        for (int64_t c = 0; c < count; ++c) {
            float* out = dst + c * slots * plane + s * plane;
            for (int64_t a = a0; a < a1; ++a) {
                const float* row = row_of(c, a * sh + rh - top) + off;
                float* d = out + a * wph;
                if (sw == 1) {
                    if (hi - lo >= 64)
                        std::memcpy(d + lo, row + lo, static_cast<size_t>(hi - lo) * sizeof(float));
                    else
                        copy_floats(d + lo, row + lo, hi - lo);
                } else if (sw == 2) {
                    for (int64_t t = lo; t < hi; ++t) d[t] = row[2 * t];  // a constant stride vectorises
                } else {
                    for (int64_t t = lo; t < hi; ++t) d[t] = row[t * sw];
                }
            }
        }
    }
}

}  // namespace opencoreml::mil
