// opencoreml kernels: OCML_TARGET_CLONES, for hot loop functions. With GCC on x86-64 it
// compiles the function for AVX-512, AVX2 and the baseline ISA, one chosen when the library
// loads, so plain loops and GCC vector types use the widest registers the CPU has while the
// library itself stays built for the baseline (no global -march). Elsewhere it is empty.
// Including it also silences -Wpsabi: the wide vector types never cross a non-inlined call.
#pragma once

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define OCML_TARGET_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define OCML_TARGET_CLONES
#endif

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wpsabi"
#endif
