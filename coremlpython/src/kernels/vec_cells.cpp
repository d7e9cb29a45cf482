// opencoreml kernels: fused recurrent cell updates (vec_math.hpp): one vectorised pass over
// the hidden units does what the generic step does in five (activations, cell, output).
#include "kernels/vec_core.hpp"
#include "kernels/vec_math.hpp"

namespace opencoreml::kernels::vm {
using namespace detail;
namespace {

struct LstmCellBody {
    const float* g;
    float *c, *h;
    int64_t H;

    template <int W, class F>
    OCML_VEC_INLINE void unit(int64_t j, F& c_new, F& h_new, F c_old) const {
        const F i = vsigmoid(load<F>(g + j));
        const F f = vsigmoid(load<F>(g + H + j));
        const F o = vsigmoid(load<F>(g + 2 * H + j));
        const F z = vtanh(load<F>(g + 3 * H + j));
        c_new = f * c_old + i * z;
        h_new = o * vtanh(c_new);
    }

    template <int W>
    OCML_VEC_INLINE void run() const {
        using F = typename Vec<W>::F;
        int64_t j = 0;
        for (; j + W <= H; j += W) {
            F cn, hn;
            unit<W>(j, cn, hn, load<F>(c + j));
            store(c + j, cn);
            store(h + j, hn);
        }
        if (j < H) {  // partial vector: gather the four gate runs into full vectors
            const int64_t m = H - j;
            float gb[4][W] = {};
            for (int q = 0; q < 4; ++q)
                for (int64_t l = 0; l < m; ++l) gb[q][l] = g[q * H + j + l];
            const LstmCellBody tail{&gb[0][0], nullptr, nullptr, W};
            F cn, hn;
            tail.template unit<W>(0, cn, hn, load_partial<F>(c + j, m, 0.0f));
            store_partial(c + j, cn, m);
            store_partial(h + j, hn, m);
        }
    }
};

}  // namespace

void lstm_cell(const float* g, float* c, float* h, int64_t H) {
    if (H > 0) dispatch(LstmCellBody{g, c, h, H});
}

}  // namespace opencoreml::kernels::vm
