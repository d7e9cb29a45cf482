// opencoreml tree ensembles: the compiled, cache-friendly form of a TreeEnsembleParameters
// node list, built once at load, and the functions that score input rows with it.
//
// Layout: all trees share one array of 16-byte nodes. Each tree is stored depth first from
// its root, with every branch's "pass" child placed right after the branch, so a node only
// stores the other child's index. Branch modes and the missing-value rule are folded at
// compile time into one comparison that is false for NaN (see SplitOp), so the walk never
// tests for NaN. A leaf is a node whose threshold is NaN and whose other child is itself:
// every step from a leaf stays on it, so a tree of depth d can be walked with exactly d
// branch-free steps and no leaf test. Consecutive trees of similar depth form groups of up
// to kGroupTrees that one row walks in lock step, so their node loads overlap instead of
// forming one dependent chain. Leaf values live in arrays indexed by node, read once per
// tree and row.
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
    double threshold;  // branch: split value; leaf: NaN
    uint32_t feature;  // branch: row column | op << kOpShift; leaf: kLeafWord
    uint32_t other;    // index of the child taken when the test fails; a leaf's own index
};
static_assert(sizeof(Node) == 16, "nodes are meant to pack four to a cache line");

constexpr int kOpShift = 29;
constexpr uint32_t kColumnMask = (1u << kOpShift) - 1;
// Column 0 with an op code no branch uses: reads a valid column, and NaN fails any test.
constexpr uint32_t kLeafWord = 7u << kOpShift;

struct LeafEntry {
    uint32_t dimension;
    double value;
};

struct TreeRef {
    uint32_t root;   // index of the tree's first node
    uint32_t depth;  // branches on the longest root-to-leaf path
    bool fixed_steps;  // walk exactly `depth` steps instead of testing for a leaf each step
};

constexpr uint32_t kGroupTrees = 8;

// Trees [first, first + count) walked together: fixed-step trees for `steps` steps (their
// largest depth), or a single tree walked with a leaf test.
struct TreeGroup {
    uint32_t first;
    uint32_t count;
    uint32_t steps;
    bool fixed_steps;
};

struct CompiledForest {
    std::vector<Node> nodes;
    std::vector<TreeRef> trees;         // in ascending treeId order (the order scores are summed in)
    std::vector<TreeGroup> groups;      // covering `trees` in order
    size_t dimensions = 1;              // numPredictionDimensions
    std::vector<double> base;           // basePredictionValue (zeros when absent)
    bool single_output = true;          // dimensions == 1: leaf_value holds each leaf's value
    std::vector<double> leaf_value;     // by node index (single output)
    std::vector<uint32_t> leaf_begin;   // by node index (multi-output): entries of node i are
    std::vector<LeafEntry> leaf_entries;  //   leaf_entries[leaf_begin[i] .. leaf_begin[i + 1])
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
