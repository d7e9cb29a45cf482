// opencoreml tree ensembles: the compiled, cache-friendly form of a TreeEnsembleParameters
// node list, built once at load, and the functions that score input rows with it.
//
// Layout: all trees share one array of 16-byte nodes. Each tree is stored depth first from
// its root, with every branch's "pass" child placed right after the branch, so a walk only
// needs to store the other child's index. Branch modes and the missing-value rule are
// folded at compile time into one comparison that is false for NaN (see SplitOp), so the
// walk never tests for NaN. Single-output leaves keep their value inline; multi-output
// leaves point at a run of (dimension, value) pairs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace CoreML::Specification {
class TreeEnsembleParameters;
}

namespace opencoreml::models::trees {

// "go to the pass child when x OP threshold holds"; every one of these is false for NaN.
// NotEqualOrdered is x < t || x > t (NaN fails, unlike x != t).
enum class SplitOp : uint8_t { Less, LessEqual, Greater, GreaterEqual, Equal, NotEqualOrdered };
constexpr int kSplitOpCount = 6;

struct Node {
    double threshold;  // branch: split value; single-output leaf: the leaf's value
    uint32_t feature;  // branch: row column | op << kOpShift; leaf: kLeafMarker
    uint32_t other;    // branch: node index of the child taken when the test fails; leaf: leaf id
};
static_assert(sizeof(Node) == 16, "nodes are meant to pack four to a cache line");

constexpr uint32_t kLeafMarker = 0xFFFFFFFFu;
constexpr int kOpShift = 29;
constexpr uint32_t kColumnMask = (1u << kOpShift) - 1;

struct LeafEntry {
    uint32_t dimension;
    double value;
};

struct CompiledForest {
    std::vector<Node> nodes;
    std::vector<uint32_t> roots;        // first node of each tree, in ascending treeId order
    size_t dimensions = 1;              // numPredictionDimensions
    std::vector<double> base;           // basePredictionValue (zeros when absent)
    bool inline_leaves = true;          // dimensions == 1: leaf values live in Node::threshold
    std::vector<uint32_t> leaf_begin;   // multi-output: entries of leaf i are [leaf_begin[i], leaf_begin[i+1])
    std::vector<LeafEntry> leaf_entries;
    size_t min_row_width = 0;           // 1 + the largest feature index a branch reads
    bool single_op = true;              // every branch uses `op` (the walk is specialised for it)
    SplitOp op = SplitOp::LessEqual;
};

// Validates the node list (unknown behaviours, duplicate ids, dangling or shared children,
// trees with no root or several, cycles, unreachable nodes, leaf dimensions out of range,
// base value count, feature index beyond `row_width` when row_width > 0) and compiles it.
// Errors are Error(InvalidModel) starting with `origin` and naming the tree and node.
CompiledForest compile_forest(const CoreML::Specification::TreeEnsembleParameters& params, size_t row_width,
                              const std::string& origin);

// Scores `n_rows` rows (row r starts at rows + r * row_stride) into scores[r * dimensions ...],
// which the caller has filled with the base values. Sums trees in ascending treeId order.
void accumulate_scores(const CompiledForest& forest, const double* rows, size_t n_rows, size_t row_stride,
                       double* scores);

}  // namespace opencoreml::models::trees
