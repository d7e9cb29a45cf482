// opencoreml tree ensembles: checking a TreeEnsembleParameters node list and compiling it
// into the CompiledForest layout (forest.hpp). Everything that can be wrong with the trees
// is reported here, at load, so scoring never meets a bad index.
#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

#include "Model.pb.h"
#include "models/tree_ensemble/forest.hpp"
#include "opencoreml/error.hpp"

namespace opencoreml::models::trees {

namespace spec = CoreML::Specification;
using SpecNode = spec::TreeEnsembleParameters::TreeNode;

namespace {

constexpr size_t kNone = std::numeric_limits<size_t>::max();

struct Checker {
    const std::string& origin;

    [[noreturn]] void fail(const std::string& problem) const {
        throw Error(ErrorCode::InvalidModel, origin + ": tree ensemble: " + problem);
    }
    [[noreturn]] void fail_at(const SpecNode& n, const std::string& problem) const {
        fail("tree " + std::to_string(n.treeid()) + ", node " + std::to_string(n.nodeid()) + ": " + problem);
    }
};

bool is_branch_behavior(int b) { return b >= SpecNode::BranchOnValueLessThanEqual && b <= SpecNode::BranchOnValueNotEqual; }

// A branch as "go to `pass` when x OP threshold holds, else to the other child", where OP
// is false for NaN, so NaN reaches the child missingValueTracksTrueChild asks for.
struct Folded {
    SplitOp op;
    double threshold;
    bool pass_is_true_child;
};

Folded fold_branch(int behavior, double t, bool missing_to_true) {
    const bool not_equal = behavior == SpecNode::BranchOnValueNotEqual;
    if (std::isnan(t)) {
        // Every number compares the same way with a NaN split value: only "!=" holds. When
        // numbers and NaN must part ways, "x >= -inf" tells them apart.
        if (not_equal != missing_to_true)
            return {SplitOp::GreaterEqual, -std::numeric_limits<double>::infinity(), not_equal};
        return {SplitOp::Equal, t, !not_equal};  // never holds: everything takes the other child
    }
    // When NaN must go to the true child, test the false child's condition instead.
    switch (behavior) {
        case SpecNode::BranchOnValueLessThanEqual:
            return missing_to_true ? Folded{SplitOp::Greater, t, false} : Folded{SplitOp::LessEqual, t, true};
        case SpecNode::BranchOnValueLessThan:
            return missing_to_true ? Folded{SplitOp::GreaterEqual, t, false} : Folded{SplitOp::Less, t, true};
        case SpecNode::BranchOnValueGreaterThanEqual:
            return missing_to_true ? Folded{SplitOp::Less, t, false} : Folded{SplitOp::GreaterEqual, t, true};
        case SpecNode::BranchOnValueGreaterThan:
            return missing_to_true ? Folded{SplitOp::LessEqual, t, false} : Folded{SplitOp::Greater, t, true};
        case SpecNode::BranchOnValueEqual:
            return missing_to_true ? Folded{SplitOp::NotEqualOrdered, t, false} : Folded{SplitOp::Equal, t, true};
        default:  // BranchOnValueNotEqual
            return missing_to_true ? Folded{SplitOp::Equal, t, false} : Folded{SplitOp::NotEqualOrdered, t, true};
    }
}

// A tree walked with a fixed number of steps wastes the steps a shallow leaf spends waiting
// on itself; beyond this much slack the leaf test per step is cheaper.
constexpr uint32_t kStepSlack = 3;
bool worth_fixed_steps(size_t depth, double mean_leaf_depth) { return depth <= 24 && depth <= mean_leaf_depth + kStepSlack; }

std::vector<TreeGroup> group_trees(const std::vector<TreeRef>& trees) {
    std::vector<TreeGroup> groups;
    uint32_t shallowest = 0;
    for (uint32_t i = 0; i < trees.size(); ++i) {
        const TreeRef& t = trees[i];
        TreeGroup* last = groups.empty() ? nullptr : &groups.back();
        const bool joins = t.fixed_steps && last && last->fixed_steps && last->count < kGroupTrees &&
                           std::max(last->steps, t.depth) <= std::min(shallowest, t.depth) + kStepSlack;
        if (joins) {
            ++last->count;
            last->steps = std::max(last->steps, t.depth);
            shallowest = std::min(shallowest, t.depth);
        } else {
            groups.push_back({i, 1, t.depth, t.fixed_steps});
            shallowest = t.depth;
        }
    }
    return groups;
}

// Spec nodes sorted by (treeId, nodeId) for lookups by id.
class NodeIndex {
public:
    NodeIndex(const google::protobuf::RepeatedPtrField<SpecNode>& nodes, const Checker& check) {
        order_.reserve(static_cast<size_t>(nodes.size()));
        for (int i = 0; i < nodes.size(); ++i) order_.push_back({{nodes[i].treeid(), nodes[i].nodeid()}, static_cast<size_t>(i)});
        std::sort(order_.begin(), order_.end());
        for (size_t i = 1; i < order_.size(); ++i)
            if (order_[i].first == order_[i - 1].first) check.fail_at(nodes[static_cast<int>(order_[i].second)], "node id declared twice");
    }
    size_t find(uint64_t tree, uint64_t node) const {
        const std::pair<uint64_t, uint64_t> key{tree, node};
        auto it = std::lower_bound(order_.begin(), order_.end(), key,
                                   [](const auto& entry, const auto& k) { return entry.first < k; });
        return (it != order_.end() && it->first == key) ? it->second : kNone;
    }
    // Spec positions in (treeId, nodeId) order.
    const std::vector<std::pair<std::pair<uint64_t, uint64_t>, size_t>>& sorted() const { return order_; }

private:
    std::vector<std::pair<std::pair<uint64_t, uint64_t>, size_t>> order_;
};

void check_leaf(const SpecNode& n, size_t dimensions, const Checker& check) {
    if (n.evaluationinfo_size() == 0) check.fail_at(n, "leaf has no evaluationInfo value");
    std::vector<uint64_t> seen;
    for (const auto& e : n.evaluationinfo()) {
        if (e.evaluationindex() >= dimensions)
            check.fail_at(n, "leaf adds to dimension " + std::to_string(e.evaluationindex()) +
                                 " but numPredictionDimensions is " + std::to_string(dimensions));
        if (std::find(seen.begin(), seen.end(), e.evaluationindex()) != seen.end())
            check.fail_at(n, "leaf gives dimension " + std::to_string(e.evaluationindex()) + " more than one value");
        seen.push_back(e.evaluationindex());
    }
}

}  // namespace

CompiledForest compile_forest(const spec::TreeEnsembleParameters& params, size_t row_width, const std::string& origin) {
    const Checker check{origin};
    const auto& nodes = params.nodes();
    const size_t count = static_cast<size_t>(nodes.size());

    CompiledForest forest;
    if (params.numpredictiondimensions() == 0) check.fail("numPredictionDimensions is 0");
    if (params.numpredictiondimensions() > (1u << 20))
        check.fail("numPredictionDimensions " + std::to_string(params.numpredictiondimensions()) + " is implausibly large");
    forest.dimensions = static_cast<size_t>(params.numpredictiondimensions());
    if (params.basepredictionvalue_size() == 0) {
        forest.base.assign(forest.dimensions, 0.0);
    } else if (static_cast<size_t>(params.basepredictionvalue_size()) == forest.dimensions) {
        forest.base.assign(params.basepredictionvalue().begin(), params.basepredictionvalue().end());
    } else {
        check.fail("basePredictionValue has " + std::to_string(params.basepredictionvalue_size()) +
                   " values but numPredictionDimensions is " + std::to_string(forest.dimensions));
    }
    if (count >= std::numeric_limits<uint32_t>::max()) check.fail("too many nodes (" + std::to_string(count) + ")");

    // Per-node checks, and the parent of every node (two parents or self-reference is an error).
    const NodeIndex index(nodes, check);
    std::vector<size_t> parent(count, kNone);
    auto link = [&](const SpecNode& n, size_t self, uint64_t child_id, const char* which) {
        const size_t child = index.find(n.treeid(), child_id);
        if (child == kNone)
            check.fail_at(n, std::string(which) + " child " + std::to_string(child_id) + " does not exist in this tree");
        if (child == self) check.fail_at(n, std::string(which) + " child is the node itself");
        if (parent[child] != kNone)
            check.fail_at(n, std::string(which) + " child " + std::to_string(child_id) + " is already a child of node " +
                                 std::to_string(nodes[static_cast<int>(parent[child])].nodeid()));
        parent[child] = self;
    };
    for (size_t i = 0; i < count; ++i) {
        const SpecNode& n = nodes[static_cast<int>(i)];
        const int behavior = n.nodebehavior();
        if (behavior == SpecNode::LeafNode) {
            check_leaf(n, forest.dimensions, check);
            continue;
        }
        if (!is_branch_behavior(behavior)) check.fail_at(n, "unknown nodeBehavior " + std::to_string(behavior));
        if (n.branchfeatureindex() > kColumnMask)
            check.fail_at(n, "branchFeatureIndex " + std::to_string(n.branchfeatureindex()) + " is out of range");
        if (row_width > 0 && n.branchfeatureindex() >= row_width)
            check.fail_at(n, "branchFeatureIndex " + std::to_string(n.branchfeatureindex()) + " is beyond the " +
                                 std::to_string(row_width) + " input values the model's inputs provide");
        link(n, i, n.truechildnodeid(), "true");
        link(n, i, n.falsechildnodeid(), "false");
    }

    // Exactly one root (a node with no parent) per tree, trees in ascending treeId order.
    std::vector<size_t> roots;
    for (const auto& [ids, pos] : index.sorted()) {
        if (parent[pos] != kNone) continue;
        if (!roots.empty() && nodes[static_cast<int>(roots.back())].treeid() == ids.first)
            check.fail("tree " + std::to_string(ids.first) + " has several root nodes (" +
                       std::to_string(nodes[static_cast<int>(roots.back())].nodeid()) + " and " + std::to_string(ids.second) +
                       ")");
        roots.push_back(pos);
    }
    size_t next_root = 0;  // roots and sorted() are both in treeId order
    for (const auto& entry : index.sorted()) {
        const uint64_t tree = entry.first.first;
        while (next_root < roots.size() && nodes[static_cast<int>(roots[next_root])].treeid() < tree) ++next_root;
        if (next_root == roots.size() || nodes[static_cast<int>(roots[next_root])].treeid() != tree)
            check.fail("tree " + std::to_string(tree) + " has no root node (its nodes form a cycle)");
    }

    // Depth-first layout; the pass child is pushed last so it is emitted right after its parent.
    forest.single_output = forest.dimensions == 1;
    forest.nodes.reserve(count);
    if (forest.single_output) {
        forest.leaf_value.assign(count, 0.0);
    } else {
        forest.leaf_begin.assign(count + 1, 0);
    }
    std::vector<int> op_used(kSplitOpCount, 0);
    struct Pending {
        size_t spec_pos;
        size_t patch;  // emitted branch whose `other` must point here, or kNone
        uint32_t depth;
    };
    std::vector<Pending> stack;
    std::vector<bool> emitted(count, false);
    for (size_t root : roots) {
        TreeRef tree{static_cast<uint32_t>(forest.nodes.size()), 0, false};
        size_t leaves = 0, leaf_depth_sum = 0;
        stack.push_back({root, kNone, 0});
        while (!stack.empty()) {
            const Pending p = stack.back();
            stack.pop_back();
            const size_t at = forest.nodes.size();
            if (at >= count) check.fail("node graph is not a set of trees");
            if (p.patch != kNone) forest.nodes[p.patch].other = static_cast<uint32_t>(at);
            const SpecNode& n = nodes[static_cast<int>(p.spec_pos)];
            emitted[p.spec_pos] = true;
            if (!forest.single_output) forest.leaf_begin[at + 1] = static_cast<uint32_t>(forest.leaf_entries.size());
            if (n.nodebehavior() == SpecNode::LeafNode) {
                forest.nodes.push_back(Node{std::numeric_limits<double>::quiet_NaN(), kLeafWord, static_cast<uint32_t>(at)});
                if (forest.single_output) {
                    forest.leaf_value[at] = n.evaluationinfo(0).evaluationvalue();
                } else {
                    for (const auto& e : n.evaluationinfo())
                        forest.leaf_entries.push_back({static_cast<uint32_t>(e.evaluationindex()), e.evaluationvalue()});
                    forest.leaf_begin[at + 1] = static_cast<uint32_t>(forest.leaf_entries.size());
                }
                ++leaves;
                leaf_depth_sum += p.depth;
                tree.depth = std::max(tree.depth, p.depth);
                continue;
            }
            const Folded f = fold_branch(n.nodebehavior(), n.branchfeaturevalue(), n.missingvaluetrackstruechild());
            ++op_used[static_cast<int>(f.op)];
            const uint32_t column = static_cast<uint32_t>(n.branchfeatureindex());
            forest.min_row_width = std::max(forest.min_row_width, static_cast<size_t>(column) + 1);
            forest.nodes.push_back(Node{f.threshold, column | (static_cast<uint32_t>(f.op) << kOpShift), 0});
            const uint64_t pass_id = f.pass_is_true_child ? n.truechildnodeid() : n.falsechildnodeid();
            const uint64_t fail_id = f.pass_is_true_child ? n.falsechildnodeid() : n.truechildnodeid();
            stack.push_back({index.find(n.treeid(), fail_id), at, p.depth + 1});
            stack.push_back({index.find(n.treeid(), pass_id), kNone, p.depth + 1});
        }
        tree.fixed_steps = worth_fixed_steps(tree.depth, leaves ? double(leaf_depth_sum) / double(leaves) : 0.0);
        forest.trees.push_back(tree);
    }
    if (forest.nodes.size() != count) {
        // Each node has one parent and each tree one root, so whatever was not reached hangs
        // in a cycle of its own.
        for (const auto& [ids, pos] : index.sorted())
            if (!emitted[pos]) check.fail_at(nodes[static_cast<int>(pos)], "cannot be reached from the tree's root (its nodes form a cycle)");
    }

    forest.groups = group_trees(forest.trees);

    const int distinct = static_cast<int>(std::count_if(op_used.begin(), op_used.end(), [](int c) { return c > 0; }));
    forest.single_op = distinct <= 1;
    for (int op = 0; op < kSplitOpCount; ++op)
        if (op_used[op] > 0) { forest.op = static_cast<SplitOp>(op); break; }
    return forest;
}

}  // namespace opencoreml::models::trees
