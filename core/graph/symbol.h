// The graph IR: a Symbol is a list of outputs of a DAG of nodes, each node a registered op applied to the
// outputs of earlier nodes, or a variable (an argument or auxiliary state). Nodes are shared between symbols,
// so composing symbols never copies the graph. The same structure is what hybridize() traces into, what the
// executor runs and what MXNet's -symbol.json files hold.
#pragma once
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "ops/registry.h"

namespace braid {

struct Node;
using NodePtr = std::shared_ptr<Node>;

struct NodeEntry {
  NodePtr node;
  uint32_t index = 0;
};

struct Node {
  const OpDef* op = nullptr;  // null: a variable
  std::string name;
  OpAttrs attrs;  // op nodes: parsed, defaults filled in
  // Attributes as the user gave them, in string form: the op's own (written back to the graph file) and hidden
  // ones such as __shape__, __dtype__, __init__, __lr_mult__ (kept for round trips, ignored by execution).
  std::vector<std::pair<std::string, std::string>> str_attrs;
  std::vector<NodeEntry> inputs;

  bool is_variable() const { return op == nullptr; }
  int num_outputs() const { return op ? op->output_count(attrs) : 1; }
  int num_visible_outputs() const;
  const std::string* str_attr(const std::string& key) const;
};

class Symbol {
 public:
  std::vector<NodeEntry> outputs;

  static Symbol variable(const std::string& name);
  // Applies op to inputs (one per entry; a symbol with several outputs is an error). Inputs not given (fewer
  // than the op declares, or a null entry) become new variables named name_inputname, as in MXNet.
  // str_attrs are the given attributes in string form, already parsed into attrs.
  static Symbol create(const OpDef& op, OpAttrs attrs, std::vector<std::pair<std::string, std::string>> str_attrs,
                       const std::vector<NodeEntry>& inputs, std::string name);
  static Symbol group(const std::vector<Symbol>& parts);

  // Every node reachable from the outputs, inputs before users.
  std::vector<NodePtr> topo_order() const;
  std::vector<std::string> list_arguments() const;  // variables that are not auxiliary states, in graph order
  std::vector<std::string> list_auxiliary_states() const;
  std::vector<std::string> list_inputs() const;  // every variable, in graph order (the executor's input order)
  std::vector<std::string> list_outputs() const;
  std::vector<NodePtr> input_nodes() const;  // the variables, in list_inputs order
  Symbol get_internals() const;              // every visible output of every node
  Symbol get_children() const;               // the inputs of the output nodes
  Symbol output(size_t i) const;
  // A copy of the graph in which the variables named in inputs are replaced by those entries (composition:
  // a loaded model applied to the output of another graph). Names that match no variable are an error.
  Symbol compose(const std::map<std::string, NodeEntry>& inputs) const;

  std::string to_json() const;
  static Symbol from_json(const std::string& text);

  // Whether variable v is written by an op that mutates its input (BatchNorm's moving statistics).
  static std::vector<bool> aux_flags(const std::vector<NodePtr>& topo);
};

// A fresh name for an unnamed node of op (fullyconnected0, fullyconnected1, ...), as MXNet's NameManager does.
std::string auto_node_name(const std::string& op_name);

// The result of shape and dtype inference over a graph.
struct InferResult {
  std::vector<TensorMeta> inputs;  // per list_inputs() entry
  std::vector<bool> input_shape_known, input_dtype_known;
  std::vector<TensorMeta> outputs;  // per symbol output
  std::vector<bool> output_shape_known, output_dtype_known;
  bool complete = false;  // every shape and dtype known
};

// Infers shapes and dtypes from the known ones (by variable name); variable attributes __shape__ / __dtype__
// count as known. Parameter shapes are inferred from the data where the op declares how (FullyConnected's
// weight from num_hidden and the data). With partial=false an input whose shape stays unknown is an error
// naming it. A shape or dtype clash names the node. Without shapes, dtypes still flow (an op's output takes
// the dtype of its first input).
InferResult infer_graph(const Symbol& sym, const std::map<std::string, Shape>& shapes,
                        const std::map<std::string, DType>& dtypes, bool partial);

}  // namespace braid
