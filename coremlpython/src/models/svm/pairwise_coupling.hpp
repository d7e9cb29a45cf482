// opencoreml SVMs: class probabilities of a one-vs-one SVM as libsvm computes them — Platt
// scaling of each pairwise decision value, then pairwise coupling across the classes.
#pragma once

#include <cstddef>
#include <vector>

namespace opencoreml::models::svm {

// P(first class of a pair | the pair) = 1 / (1 + exp(A * decision + B)), clipped to
// [1e-7, 1 - 1e-7] so the coupling below never sees a certain pair.
double platt_probability(double decision, double a, double b);

// Class probabilities from pairwise ones: `pairwise` is k x k row-major with
// pairwise[i*k + j] = P(i | i or j) and pairwise[j*k + i] = 1 - that. Two classes take the
// pair directly; more classes solve Wu, Lin & Weng's (2004) second coupling problem by
// libsvm's fixed-point iteration (stopping tolerance 0.005 / k, at most max(100, k) sweeps).
std::vector<double> couple_pairwise(const std::vector<double>& pairwise, size_t k);

}  // namespace opencoreml::models::svm
