// The pattern subset of include/ocr2s/config.hpp ("PATTERNS"): a recursive-descent
// parser to a small syntax tree, Thompson's construction of an NFA from it
// (K. Thompson, "Regular expression search algorithm", CACM 11(6), 1968; in the
// form popularised by R. Cox, "Regular Expression Matching Can Be Simple And
// Fast", 2007), set simulation for matching, and a Viterbi-style dynamic programme
// over (position, NFA state) for most-probable decoding.
#include "assemble/pattern.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <utility>

#include "core/utf8.hpp"
#include "ocr2s/errors.hpp"

namespace ocr2s::assemble {
namespace {

// Largest n or m in {n}, {n,m}, {n,}. Field formats are tens of characters; a
// bound keeps a typo like \d{10000000} from allocating millions of states.
constexpr int kMaxCount = 1000;
// Largest NFA. Counts copy their operand, so nested counts multiply; this stops a
// pattern like ((\d{999}){999}){999} before it exhausts memory.
constexpr std::size_t kMaxStates = 20000;
// Deepest nesting of groups and classes the recursive-descent parser follows.
constexpr int kMaxDepth = 200;
// A code point no character class contains, not even "any": a label that is not
// exactly one valid code point.
constexpr char32_t kNoCodePoint = 0xFFFFFFFFu;

// A set of code points: union of inclusive ranges, optionally complemented.
// "Any" (.) is the complement of the empty set.
struct CharClass {
  std::vector<std::pair<char32_t, char32_t>> ranges;
  bool negated = false;

  bool contains(char32_t cp) const {
    if (cp == kNoCodePoint) return false;
    bool in = false;
    for (const auto& r : ranges) {
      if (cp >= r.first && cp <= r.second) {
        in = true;
        break;
      }
    }
    return in != negated;
  }
};

// Syntax tree. Counts ({n,m}, ?, *, +) are kept as trees, not expanded, so that
// the compiler can instantiate the operand as often as the count asks.
struct Node {
  enum class Kind { kEmpty, kClass, kConcat, kAlt, kRepeat };
  Kind kind = Kind::kEmpty;
  int cls = -1;                // kClass: index into the class table
  std::vector<Node> children;  // kConcat, kAlt: operands; kRepeat: the one operand
  int min = 0;                 // kRepeat
  int max = 0;                 // kRepeat; -1 = unbounded
  std::size_t pos = 0;         // code-point position in the pattern (for errors)
};

// Code points of the pattern with unescaped ASCII whitespace removed: lines are
// matched with whitespace ignored, so a literal space could never match and
// "LOT \d{6}" is taken to mean "LOT\d{6}". `at` keeps the original positions for
// error messages.
struct Source {
  std::vector<char32_t> cps;
  std::vector<std::size_t> at;
  std::size_t length = 0;  // code points in the original pattern
};

[[noreturn]] void fail(std::string_view pattern, std::size_t position, const std::string& why) {
  throw PatternError("pattern \"" + std::string(pattern) + "\": " + why + " at position " +
                         std::to_string(position),
                     position);
}

bool is_space(char32_t c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

Source lex(std::string_view pattern) {
  Source s;
  std::size_t byte = 0;
  std::size_t index = 0;
  bool escaped = false;
  while (byte < pattern.size()) {
    bool valid = true;
    const char32_t c = utf8_next(pattern, byte, &valid);
    if (!valid) fail(pattern, index, "invalid UTF-8");
    if (escaped || !is_space(c)) {
      s.cps.push_back(c);
      s.at.push_back(index);
    }
    escaped = !escaped && c == '\\';
    ++index;
  }
  s.length = index;
  return s;
}

std::string quote(char32_t c) {
  return "'" + utf8_encode(c) + "'";
}

bool is_ascii_alnum(char32_t c) {
  return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

// Grammar (recursive descent, one function per rule):
//   alt    := concat ('|' concat)*
//   concat := repeat*
//   repeat := atom count?            count := '?' | '*' | '+' | '{' n (',' m?)? '}'
//   atom   := '(' alt ')' | '[' '^'? item+ ']' | '\' escape | '.' | literal
//   item   := char ('-' char)? | '\d' | '\u' | '\w'
class Parser {
 public:
  Parser(std::string_view pattern, Source src, std::vector<CharClass>& classes)
      : pattern_(pattern), src_(std::move(src)), classes_(classes) {}

  Node parse() {
    Node n = parse_alt();
    // parse_alt stops only at the end or at a ')' that closes nothing.
    if (pos_ < src_.cps.size()) fail(pattern_, position(), "')' closes no '('");
    return n;
  }

 private:
  std::size_t position() const { return pos_ < src_.at.size() ? src_.at[pos_] : src_.length; }
  bool at_end() const { return pos_ >= src_.cps.size(); }
  char32_t peek() const { return src_.cps[pos_]; }

  Node parse_alt() {
    const std::size_t start = position();
    std::vector<Node> alts;
    alts.push_back(parse_concat());
    while (!at_end() && peek() == '|') {
      ++pos_;
      alts.push_back(parse_concat());
    }
    if (alts.size() == 1) return std::move(alts.front());
    Node n;
    n.kind = Node::Kind::kAlt;
    n.children = std::move(alts);
    n.pos = start;
    return n;
  }

  Node parse_concat() {
    const std::size_t start = position();
    std::vector<Node> items;
    while (!at_end() && peek() != '|' && peek() != ')') items.push_back(parse_repeat());
    if (items.size() == 1) return std::move(items.front());
    Node n;
    n.kind = items.empty() ? Node::Kind::kEmpty : Node::Kind::kConcat;
    n.children = std::move(items);
    n.pos = start;
    return n;
  }

  static bool is_count_start(char32_t c) { return c == '?' || c == '*' || c == '+' || c == '{'; }

  Node parse_repeat() {
    Node atom = parse_atom();
    if (at_end() || !is_count_start(peek())) return atom;
    Node n;
    n.kind = Node::Kind::kRepeat;
    n.pos = position();
    parse_count(n.min, n.max);
    n.children.push_back(std::move(atom));
    // a** or a{2}{3} is almost always a typo; (a{2}){3} says what it means.
    if (!at_end() && is_count_start(peek())) {
      fail(pattern_, position(), "a count cannot follow another count (group with '(' ')' first)");
    }
    return n;
  }

  void parse_count(int& min, int& max) {
    const char32_t c = peek();
    ++pos_;
    if (c == '?') {
      min = 0, max = 1;
    } else if (c == '*') {
      min = 0, max = -1;
    } else if (c == '+') {
      min = 1, max = -1;
    } else {  // '{'
      min = parse_number("a number after '{'");
      if (at_end()) fail(pattern_, position(), "expected ',' or '}'");
      if (peek() == '}') {
        max = min;
      } else if (peek() == ',') {
        ++pos_;
        if (at_end()) fail(pattern_, position(), "expected a number or '}'");
        if (peek() == '}') {
          max = -1;
        } else {
          const std::size_t at = position();
          max = parse_number("a number or '}'");
          if (max < min) {
            fail(pattern_, at,
                 "count {" + std::to_string(min) + "," + std::to_string(max) + "} has max < min");
          }
        }
        if (at_end() || peek() != '}') fail(pattern_, position(), "expected '}'");
      } else {
        fail(pattern_, position(), "expected ',' or '}', found " + quote(peek()));
      }
      ++pos_;  // '}'
    }
  }

  int parse_number(const char* expected) {
    const std::size_t at = position();
    if (at_end() || peek() < '0' || peek() > '9') {
      fail(pattern_, at, std::string("expected ") + expected);
    }
    long value = 0;
    while (!at_end() && peek() >= '0' && peek() <= '9') {
      value = value * 10 + static_cast<long>(peek() - '0');
      if (value > kMaxCount) {
        fail(pattern_, at, "count exceeds the limit of " + std::to_string(kMaxCount));
      }
      ++pos_;
    }
    return static_cast<int>(value);
  }

  Node make_class(CharClass cls, std::size_t at) {
    classes_.push_back(std::move(cls));
    Node n;
    n.kind = Node::Kind::kClass;
    n.cls = static_cast<int>(classes_.size()) - 1;
    n.pos = at;
    return n;
  }

  // \d, \u, \w as ranges; false when `c` names no shorthand.
  static bool shorthand(char32_t c, CharClass& cls) {
    switch (c) {
      case 'd':
        cls.ranges.emplace_back('0', '9');
        return true;
      case 'u':
        cls.ranges.emplace_back('A', 'Z');
        return true;
      case 'w':
        cls.ranges.emplace_back('A', 'Z');
        cls.ranges.emplace_back('0', '9');
        return true;
      default:
        return false;
    }
  }

  Node parse_atom() {
    const std::size_t at = position();
    const char32_t c = peek();
    switch (c) {
      case '(': {
        if (++depth_ > kMaxDepth) fail(pattern_, at, "groups nested too deeply");
        ++pos_;
        Node inner = parse_alt();
        if (at_end()) fail(pattern_, at, "'(' is never closed");
        ++pos_;  // ')': parse_alt stops only at the end or at ')'
        --depth_;
        return inner;
      }
      case '[':
        return parse_class();
      case '.': {
        ++pos_;
        CharClass any;
        any.negated = true;
        return make_class(std::move(any), at);
      }
      case '\\': {
        ++pos_;
        if (at_end()) fail(pattern_, at, "the pattern ends with a lone '\\'");
        const char32_t e = peek();
        ++pos_;
        CharClass cls;
        if (shorthand(e, cls)) return make_class(std::move(cls), at);
        // Letters and digits are reserved for shorthands; anything else escaped
        // is itself.
        if (is_ascii_alnum(e)) fail(pattern_, at, "unknown escape '\\" + quote(e).substr(1));
        cls.ranges.emplace_back(e, e);
        return make_class(std::move(cls), at);
      }
      case '?':
      case '*':
      case '+':
      case '{':
        fail(pattern_, at, "nothing to repeat before " + quote(c));
      case ']':
      case '}':
        fail(pattern_, at, "unescaped " + quote(c) + " (write \\" + quote(c).substr(1) + ")");
      default: {
        ++pos_;
        CharClass cls;
        cls.ranges.emplace_back(c, c);
        return make_class(std::move(cls), at);
      }
    }
  }

  // One class member that can be a range end: a literal or an escaped literal.
  // Returns false (without consuming) for a shorthand.
  bool class_char(char32_t& out) {
    const std::size_t at = position();
    if (peek() != '\\') {
      out = peek();
      ++pos_;
      return true;
    }
    if (pos_ + 1 >= src_.cps.size()) fail(pattern_, at, "the pattern ends with a lone '\\'");
    const char32_t e = src_.cps[pos_ + 1];
    CharClass probe;
    if (shorthand(e, probe)) return false;
    if (is_ascii_alnum(e)) fail(pattern_, at, "unknown escape '\\" + quote(e).substr(1));
    pos_ += 2;
    out = e;
    return true;
  }

  Node parse_class() {
    const std::size_t open = position();
    ++pos_;  // '['
    CharClass cls;
    if (!at_end() && peek() == '^') {
      cls.negated = true;
      ++pos_;
    }
    bool any_item = false;
    for (;;) {
      if (at_end()) fail(pattern_, open, "'[' is never closed");
      if (peek() == ']') {
        if (!any_item) fail(pattern_, position(), "empty class '[]'");
        ++pos_;
        break;
      }
      any_item = true;
      const std::size_t item_at = position();
      char32_t lo = 0;
      if (!class_char(lo)) {
        shorthand(src_.cps[pos_ + 1], cls);
        pos_ += 2;
        continue;
      }
      // '-' is a range only between two members; first or last it is literal.
      const bool range = pos_ + 1 < src_.cps.size() && peek() == '-' && src_.cps[pos_ + 1] != ']';
      if (!range) {
        cls.ranges.emplace_back(lo, lo);
        continue;
      }
      ++pos_;  // '-'
      const std::size_t hi_at = position();
      char32_t hi = 0;
      if (!class_char(hi)) fail(pattern_, hi_at, "a range cannot end in a shorthand");
      if (hi < lo) {
        fail(pattern_, item_at, "range " + quote(lo) + "-" + quote(hi) + " is reversed");
      }
      cls.ranges.emplace_back(lo, hi);
    }
    return make_class(std::move(cls), open);
  }

  std::string_view pattern_;
  Source src_;
  std::vector<CharClass>& classes_;
  std::size_t pos_ = 0;
  int depth_ = 0;
};

}  // namespace

struct Pattern::Impl {
  struct State {
    enum class Kind : std::uint8_t { kClass, kSplit, kMatch };
    Kind kind = Kind::kSplit;
    int cls = -1;   // kClass: consumes one character of this class
    int out = -1;   // next state (kClass, kSplit)
    int out1 = -1;  // second branch (kSplit); -1 makes the split a plain ε move
  };
  std::vector<CharClass> classes;
  std::vector<State> states;
  int start = -1;
  int match = -1;

  // Adds the ε-closure of `s` — the class and match states reachable from it
  // through split states — to `out`, skipping states already marked with `mark`.
  void closure(int s, std::vector<int>& mark, int stamp, std::vector<int>& out,
               std::vector<int>& stack) const {
    stack.clear();
    stack.push_back(s);
    while (!stack.empty()) {
      const int t = stack.back();
      stack.pop_back();
      if (t < 0 || mark[static_cast<std::size_t>(t)] == stamp) continue;
      mark[static_cast<std::size_t>(t)] = stamp;
      const State& st = states[static_cast<std::size_t>(t)];
      if (st.kind == State::Kind::kSplit) {
        // Pushed in reverse so that `out` is explored first (deterministic order).
        stack.push_back(st.out1);
        stack.push_back(st.out);
      } else {
        out.push_back(t);
      }
    }
  }
};

namespace {

using State = Pattern::Impl::State;

// Thompson's construction: every fragment has one entry state and a list of
// dangling exits (state, branch) that the enclosing construct patches.
class Compiler {
 public:
  Compiler(std::string_view pattern, Pattern::Impl& nfa) : pattern_(pattern), nfa_(nfa) {}

  void run(const Node& root) {
    Frag f = compile(root);
    nfa_.match = add(State::Kind::kMatch, -1, root.pos);
    patch(f.outs, nfa_.match);
    nfa_.start = f.start;
  }

 private:
  struct Frag {
    int start = -1;
    std::vector<std::pair<int, int>> outs;  // (state, 0 = out / 1 = out1)
  };

  int add(State::Kind kind, int cls, std::size_t pos) {
    if (nfa_.states.size() >= kMaxStates) {
      fail(pattern_, pos,
           "pattern too large (more than " + std::to_string(kMaxStates) + " automaton states)");
    }
    State s;
    s.kind = kind;
    s.cls = cls;
    nfa_.states.push_back(s);
    return static_cast<int>(nfa_.states.size()) - 1;
  }

  void patch(const std::vector<std::pair<int, int>>& outs, int target) {
    for (const auto& o : outs) {
      State& s = nfa_.states[static_cast<std::size_t>(o.first)];
      (o.second == 0 ? s.out : s.out1) = target;
    }
  }

  Frag empty(std::size_t pos) {
    const int s = add(State::Kind::kSplit, -1, pos);
    return Frag{s, {{s, 0}}};
  }

  Frag concat(Frag a, Frag b) {
    patch(a.outs, b.start);
    return Frag{a.start, std::move(b.outs)};
  }

  Frag compile(const Node& n) {
    switch (n.kind) {
      case Node::Kind::kEmpty:
        return empty(n.pos);
      case Node::Kind::kClass: {
        const int s = add(State::Kind::kClass, n.cls, n.pos);
        return Frag{s, {{s, 0}}};
      }
      case Node::Kind::kConcat: {
        Frag f = compile(n.children.front());
        for (std::size_t i = 1; i < n.children.size(); ++i)
          f = concat(std::move(f), compile(n.children[i]));
        return f;
      }
      case Node::Kind::kAlt: {
        Frag f = compile(n.children.front());
        for (std::size_t i = 1; i < n.children.size(); ++i) {
          Frag g = compile(n.children[i]);
          const int s = add(State::Kind::kSplit, -1, n.pos);
          nfa_.states[static_cast<std::size_t>(s)].out = f.start;
          nfa_.states[static_cast<std::size_t>(s)].out1 = g.start;
          f.outs.insert(f.outs.end(), g.outs.begin(), g.outs.end());
          f.start = s;
        }
        return f;
      }
      case Node::Kind::kRepeat:
        return repeat(n);
    }
    return empty(n.pos);
  }

  // x{min,max}: min copies of x, then either a loop (max unbounded) or
  // max - min nested optional copies, x(x(x)?)?, which keep the ε-closures short
  // (after k copies only copy k+1 is reachable, not all the remaining ones).
  Frag repeat(const Node& n) {
    const Node& x = n.children.front();
    bool have = false;
    Frag f;
    auto append = [&](Frag g) {
      f = have ? concat(std::move(f), std::move(g)) : std::move(g);
      have = true;
    };
    if (n.max < 0) {
      const int copies = std::max(n.min - 1, 0);
      for (int i = 0; i < copies; ++i) append(compile(x));
      // Loop: split → x → back to split; the split's second branch exits.
      Frag body = compile(x);
      const int s = add(State::Kind::kSplit, -1, n.pos);
      nfa_.states[static_cast<std::size_t>(s)].out = body.start;
      patch(body.outs, s);
      // x* enters at the split; x+ enters at x (one pass is mandatory).
      append(Frag{n.min == 0 ? s : body.start, {{s, 1}}});
      return f;
    }
    for (int i = 0; i < n.min; ++i) append(compile(x));
    bool have_tail = false;
    Frag tail;
    for (int k = n.max - n.min; k > 0; --k) {
      Frag body = compile(x);
      std::vector<std::pair<int, int>> outs;
      if (have_tail) {
        patch(body.outs, tail.start);
        outs = std::move(tail.outs);
      } else {
        outs = std::move(body.outs);
      }
      const int s = add(State::Kind::kSplit, -1, n.pos);
      nfa_.states[static_cast<std::size_t>(s)].out = body.start;
      outs.emplace_back(s, 1);
      tail = Frag{s, std::move(outs)};
      have_tail = true;
    }
    if (have_tail) append(std::move(tail));
    if (!have) append(empty(n.pos));  // x{0} and x{0,0}
    return f;
  }

  std::string_view pattern_;
  Pattern::Impl& nfa_;
};

// The code point of a label, or kNoCodePoint when it is not exactly one valid one.
char32_t label_code_point(const std::string& label) {
  if (label.empty()) return kNoCodePoint;
  std::size_t pos = 0;
  bool valid = false;
  const char32_t cp = utf8_next(label, pos, &valid);
  return valid && pos == label.size() ? cp : kNoCodePoint;
}

}  // namespace

Pattern Pattern::compile(std::string_view pattern) {
  auto impl = std::make_shared<Impl>();
  Parser parser(pattern, lex(pattern), impl->classes);
  const Node root = parser.parse();
  Compiler(pattern, *impl).run(root);
  Pattern p;
  p.source_ = std::string(pattern);
  p.impl_ = std::move(impl);
  return p;
}

bool Pattern::matches(const std::vector<std::string>& chars) const {
  // Set simulation of the NFA (Thompson 1968): the set of states after each
  // character, advanced in lock step; linear in chars × states.
  const Impl& nfa = *impl_;
  std::vector<int> mark(nfa.states.size(), -1);
  std::vector<int> cur, next, stack;
  int stamp = 0;
  nfa.closure(nfa.start, mark, stamp, cur, stack);
  for (const auto& ch : chars) {
    const char32_t cp = label_code_point(ch);
    ++stamp;
    next.clear();
    for (const int s : cur) {
      const State& st = nfa.states[static_cast<std::size_t>(s)];
      if (st.kind == State::Kind::kClass &&
          nfa.classes[static_cast<std::size_t>(st.cls)].contains(cp)) {
        nfa.closure(st.out, mark, stamp, next, stack);
      }
    }
    cur.swap(next);
    if (cur.empty()) return false;
  }
  return std::find(cur.begin(), cur.end(), nfa.match) != cur.end();
}

Pattern::Decoded Pattern::decode(const std::vector<std::vector<float>>& probs,
                                 const std::vector<std::string>& labels) const {
  // Viterbi over the NFA: score[s] after i characters is the best sum of log
  // probabilities of a prefix of length i that leaves the automaton in state s.
  // A character step moves from a class state s to the closure of s.out with the
  // log probability of the best label of s's class at that position (the target
  // does not depend on which label, so only the best one matters). ε moves cost
  // nothing, so relaxing the candidate steps in decreasing score order and letting
  // the first visit of each state win gives each state its maximum — Dijkstra's
  // argument with zero-weight edges, which also copes with ε cycles such as (a?)*.
  const Impl& nfa = *impl_;
  const std::size_t n_states = nfa.states.size();
  const std::size_t length = probs.size();
  const std::size_t n_labels = labels.size();

  std::vector<char32_t> cps(n_labels);
  for (std::size_t k = 0; k < n_labels; ++k) cps[k] = label_code_point(labels[k]);
  // member[c * n_labels + k]: whether label k is in class c.
  std::vector<char> member(nfa.classes.size() * n_labels, 0);
  for (std::size_t c = 0; c < nfa.classes.size(); ++c) {
    for (std::size_t k = 0; k < n_labels; ++k)
      member[c * n_labels + k] = nfa.classes[c].contains(cps[k]);
  }
  // best[i][c]: the most probable label of class c at position i (-1: none has p > 0).
  std::vector<std::vector<int>> best(length, std::vector<int>(nfa.classes.size(), -1));
  for (std::size_t i = 0; i < length; ++i) {
    const auto& row = probs[i];
    const std::size_t kmax = std::min(row.size(), n_labels);
    for (std::size_t c = 0; c < nfa.classes.size(); ++c) {
      int arg = -1;
      for (std::size_t k = 0; k < kmax; ++k) {
        // Zero (masked) and non-finite probabilities are never chosen; the first
        // of equal maxima wins, so ties resolve to the lower class index.
        if (!member[c * n_labels + k] || !(row[k] > 0.f) || !std::isfinite(row[k])) continue;
        if (arg < 0 || row[k] > row[static_cast<std::size_t>(arg)]) arg = static_cast<int>(k);
      }
      best[i][c] = arg;
    }
  }

  constexpr double kNone = -std::numeric_limits<double>::infinity();
  std::vector<double> score(n_states, kNone), next_score(n_states, kNone);
  // back[i][t]: the class state whose step reached state t at position i.
  std::vector<std::vector<int>> back(length + 1);
  std::vector<int> mark(n_states, -1), active, next_active, stack, reached;
  int stamp = 0;
  nfa.closure(nfa.start, mark, stamp, active, stack);
  for (const int s : active) score[static_cast<std::size_t>(s)] = 0.0;

  struct Step {
    double value;
    int from;
  };
  std::vector<Step> steps;
  for (std::size_t i = 0; i < length; ++i) {
    steps.clear();
    for (const int s : active) {
      const State& st = nfa.states[static_cast<std::size_t>(s)];
      if (st.kind != State::Kind::kClass) continue;
      const int k = best[i][static_cast<std::size_t>(st.cls)];
      if (k < 0) continue;
      const double lp = std::log(static_cast<double>(probs[i][static_cast<std::size_t>(k)]));
      steps.push_back({score[static_cast<std::size_t>(s)] + lp, s});
    }
    std::sort(steps.begin(), steps.end(), [](const Step& a, const Step& b) {
      return a.value != b.value ? a.value > b.value : a.from < b.from;
    });
    ++stamp;
    next_active.clear();
    back[i + 1].assign(n_states, -1);
    for (const Step& step : steps) {
      reached.clear();
      nfa.closure(nfa.states[static_cast<std::size_t>(step.from)].out, mark, stamp, reached, stack);
      for (const int t : reached) {
        next_score[static_cast<std::size_t>(t)] = step.value;
        back[i + 1][static_cast<std::size_t>(t)] = step.from;
        next_active.push_back(t);
      }
    }
    for (const int s : active) score[static_cast<std::size_t>(s)] = kNone;
    for (const int t : next_active)
      score[static_cast<std::size_t>(t)] = next_score[static_cast<std::size_t>(t)];
    active.swap(next_active);
    if (active.empty()) break;
  }

  Decoded out;
  const bool ended = std::find(active.begin(), active.end(), nfa.match) != active.end();
  if (!ended || (length > 0 && back[length].empty())) return out;
  out.matched = true;
  out.log_prob = score[static_cast<std::size_t>(nfa.match)];
  out.classes.assign(length, -1);
  int t = nfa.match;
  for (std::size_t i = length; i > 0; --i) {
    const int s = back[i][static_cast<std::size_t>(t)];
    out.classes[i - 1] =
        best[i - 1][static_cast<std::size_t>(nfa.states[static_cast<std::size_t>(s)].cls)];
    t = s;
  }
  return out;
}

}  // namespace ocr2s::assemble
