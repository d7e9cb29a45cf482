// Test driver for coremlpython/src/kernels/vec_math and vec_gemv: applies one function to the
// float32 array in a file and writes the float32 results, for tests/test_vec_math.py to
// compare with a float64 numpy reference. Built by that test against the installed library;
// OPENCOREML_VEC_ISA=avx2|baseline selects the other instruction-set variants.
//   vec_math_check FUNCTION IN.bin OUT.bin      (prints the instruction set used)
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "kernels/vec_gemv.hpp"
#include "kernels/vec_math.hpp"

namespace vm = opencoreml::kernels::vm;

int main(int argc, char** argv) {
    if (argc != 4) {
        std::fprintf(stderr, "usage: %s FUNCTION IN.bin OUT.bin\n", argv[0]);
        return 2;
    }
    const std::string fn = argv[1];
    std::FILE* in = std::fopen(argv[2], "rb");
    if (!in) return 2;
    std::vector<float> x;
    float buf[4096];
    size_t got;
    while ((got = std::fread(buf, sizeof(float), 4096, in)) > 0) x.insert(x.end(), buf, buf + got);
    std::fclose(in);
    const int64_t n = static_cast<int64_t>(x.size());
    std::vector<float> y(x.size());
    if (fn == "scaled_tanh") vm::scaled_tanh(x.data(), y.data(), n, 1.75f, 0.625f);
    else if (fn == "exp") vm::exp(x.data(), y.data(), n);
    else if (fn == "exp2") vm::exp2(x.data(), y.data(), n);
    else if (fn == "expm1") vm::expm1(x.data(), y.data(), n);
    else if (fn == "log") vm::log(x.data(), y.data(), n);
    else if (fn == "log1p") vm::log1p(x.data(), y.data(), n);
    else if (fn == "tanh") vm::tanh(x.data(), y.data(), n);
    else if (fn == "sigmoid") vm::sigmoid(x.data(), y.data(), n);
    else if (fn == "erf") vm::erf(x.data(), y.data(), n);
    else if (fn == "silu") vm::silu(x.data(), y.data(), n);
    else if (fn == "softplus") vm::softplus(x.data(), y.data(), n);
    else if (fn == "elu") vm::elu(x.data(), y.data(), n, 1.25f);
    else if (fn == "gelu_erf") vm::gelu_erf(x.data(), y.data(), n);
    else if (fn == "gelu_tanh") vm::gelu_tanh(x.data(), y.data(), n);
    else if (fn == "gelu_sigmoid") vm::gelu_sigmoid(x.data(), y.data(), n);
    else if (fn == "inplace_exp") {  // x and y the same array
        y = x;
        vm::exp(y.data(), y.data(), n);
    } else if (fn == "softmax") {  // rows of 37 (a width that leaves a partial vector)
        for (int64_t r = 0; r + 37 <= n; r += 37) vm::softmax_row(x.data() + r, y.data() + r, 37);
    } else if (fn == "layer_norm") {  // rows of 37; gamma = 1 + i/37, beta = i/74
        std::vector<float> gamma(37), beta(37);
        for (int i = 0; i < 37; ++i) gamma[i] = 1.0f + i / 37.0f, beta[i] = i / 74.0f;
        for (int64_t r = 0; r + 37 <= n; r += 37)
            vm::layer_norm_row(x.data() + r, y.data() + r, 37, gamma.data(), beta.data(), 1e-5);
    } else if (fn == "lstm_cell") {  // records of 5H floats (H = 37): gates [4H], c [H] -> h [H], c' [H]
        const int64_t H = 37;
        for (int64_t r = 0; r + 5 * H <= n; r += 5 * H) {
            std::vector<float> c(x.begin() + r + 4 * H, x.begin() + r + 5 * H);
            vm::lstm_cell(x.data() + r, c.data(), y.data() + r, H);
            std::copy(c.begin(), c.end(), y.begin() + r + H);
        }
    } else if (fn == "gemv") {  // IN = B [K, N] (row stride N + 3), x [K], y [N]; OUT = y + x B
        const int64_t K = 37, N = 75, ldb = N + 3;
        if (n != K * ldb + K + N) return 2;
        y.assign(x.begin() + K * ldb + K, x.end());
        opencoreml::kernels::gemv_accumulate(x.data() + K * ldb, K, x.data(), ldb, N, y.data());
    } else {
        std::fprintf(stderr, "unknown function %s\n", fn.c_str());
        return 2;
    }
    std::FILE* out = std::fopen(argv[3], "wb");
    if (!out || std::fwrite(y.data(), sizeof(float), y.size(), out) != y.size()) return 2;
    std::fclose(out);
    std::printf("%s\n", vm::isa_name());
    return 0;
}
