#include "synth/grammar.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>

namespace ocr2s::synth {

bool Alphabet::has(const std::string& c) const {
  return std::find(all.begin(), all.end(), c) != all.end();
}

Alphabet make_alphabet(const std::vector<std::string>& drawable) {
  Alphabet a;
  for (const auto& c : drawable) {
    if (c == " " || c.empty() || a.has(c)) continue;
    a.all.push_back(c);
    const unsigned char b = static_cast<unsigned char>(c[0]);
    if (c.size() == 1 && b >= '0' && b <= '9') {
      a.digits.push_back(c);
    } else if ((c.size() == 1 && std::isalpha(b)) || b >= 0xC3) {
      // Multi-byte code points from U+00C0 on are (mostly) letters; good enough
      // for choosing where a format puts them.
      a.letters.push_back(c);
    } else {
      a.symbols.push_back(c);
    }
  }
  return a;
}

namespace {

const char* const kMonths[] = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                               "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};

// Code points of a UTF-8 string.
std::vector<std::string> code_points(const std::string& s) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < s.size()) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    const std::size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : 4;
    out.push_back(s.substr(i, len));
    i += len;
  }
  return out;
}

Code operator+(Code a, const Code& b) {
  a.text += b.text;
  a.atoms.insert(a.atoms.end(), b.atoms.begin(), b.atoms.end());
  return a;
}

// Fixed characters of a format: each its own literal atom (spaces have none).
Code lit(const std::string& s) {
  Code c;
  c.text = s;
  for (const auto& cp : code_points(s))
    if (cp != " ") c.atoms.push_back(literal_atom(cp));
  return c;
}

// Characters printed by value but drawn for a class position (a date's digits, a
// month's letters): the text as printed, every atom `atom`.
Code as_class(const std::string& s, const std::string& atom) {
  Code c;
  c.text = s;
  for (const auto& cp : code_points(s))
    if (cp != " ") c.atoms.push_back(atom);
  return c;
}

// The atom of a set of labels: `shorthand` when the set is exactly `full`, else a
// bracket class listing it.
std::string class_atom(const std::vector<std::string>& set, const std::string& full,
                       const char* shorthand) {
  std::string sorted_set;
  for (const auto& c : set) sorted_set += c;
  std::string a = sorted_set, b = full;
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  if (a == b) return shorthand;
  std::string out = "[";
  for (const auto& c : set) out += literal_atom(c);
  return out + "]";
}

class Builder {
 public:
  Builder(Rng& rng, const Alphabet& a) : rng_(rng), a_(a) {
    digit_ = class_atom(a.digits, "0123456789", "\\d");
    letter_ = class_atom(a.letters, "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "\\u");
    std::vector<std::string> both = a.digits;
    both.insert(both.end(), a.letters.begin(), a.letters.end());
    alnum_ = class_atom(both, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", "\\w");
  }

  Code digit() { return a_.digits.empty() ? any() : drawn(rng_.pick(a_.digits), digit_); }
  Code letter() { return a_.letters.empty() ? any() : drawn(rng_.pick(a_.letters), letter_); }
  Code any() { return a_.all.empty() ? lit("0") : drawn(rng_.pick(a_.all), "."); }
  Code alnum() {
    const bool d = !a_.digits.empty() && (a_.letters.empty() || rng_.chance(0.6));
    Code c = d ? digit() : letter();
    // Where the alphabet has both, the position takes either.
    if (!a_.digits.empty() && !a_.letters.empty()) c.atoms.back() = alnum_;
    return c;
  }
  Code digits(int n) {
    Code s;
    for (int i = 0; i < n; ++i) s = s + digit();
    return s;
  }
  Code letters(int n) {
    Code s;
    for (int i = 0; i < n; ++i) s = s + letter();
    return s;
  }
  Code alnums(int n) {
    Code s;
    for (int i = 0; i < n; ++i) s = s + alnum();
    return s;
  }
  /// Digits printed by value (a date, a time).
  Code number(const std::string& s) const { return as_class(s, digit_); }
  /// A month's name: letters to the format.
  Code month(const std::string& s) const { return as_class(s, letter_); }
  /// `sep` when the alphabet has it, else one of the alternatives it has, else "".
  std::string sep(const std::vector<std::string>& prefs) {
    for (const auto& p : prefs)
      if (a_.has(p)) return p;
    return "";
  }
  bool has_all(const std::string& s) const {
    for (char c : s)
      if (c != ' ' && !a_.has(std::string(1, c))) return false;
    return true;
  }
  Rng& rng() { return rng_; }
  const std::string& digit_atom() const { return digit_; }
  const std::string& letter_atom() const { return letter_; }

 private:
  static Code drawn(const std::string& cp, const std::string& atom) {
    Code c;
    c.text = cp;
    c.atoms.push_back(atom);
    return c;
  }

  Rng& rng_;
  const Alphabet& a_;
  std::string digit_, letter_, alnum_;
};

std::string two(int v) {
  char b[8];
  std::snprintf(b, sizeof b, "%02d", v);
  return b;
}

Code serial(Builder& b) {
  Rng& r = b.rng();
  switch (r.integer(0, 5)) {
    case 0: return b.letters(r.integer(1, 3)) + b.digits(r.integer(5, 9));
    case 1: return b.digits(r.integer(6, 12));
    case 2: return b.alnums(r.integer(6, 12));
    case 3: return b.letters(1) + b.digits(2) + b.letters(r.integer(1, 2)) + b.digits(r.integer(3, 6));
    case 4: return b.digits(r.integer(2, 4)) + b.letters(r.integer(1, 3)) + b.digits(r.integer(3, 6));
    default: return b.alnums(r.integer(4, 6)) + b.alnums(r.integer(4, 6));
  }
}

Code date(Builder& b) {
  Rng& r = b.rng();
  const int y = r.integer(1998, 2039), m = r.integer(1, 12), d = r.integer(1, 28);
  const Code yyyy = b.number(std::to_string(y)), yy = b.number(two(y % 100)), mm = b.number(two(m)),
             dd = b.number(two(d));
  const Code mon = b.month(kMonths[m - 1]);
  switch (r.integer(0, 11)) {
    case 0:
      return yyyy + lit("-") + mm + lit("-") + dd;
    case 1:
      return dd + lit(".") + mm + lit(".") + yy;
    case 2:
      return mm + lit("/") + yyyy;
    case 3: return mon + yy;
    case 4: return dd + mon + yyyy;
    case 5:
      return yyyy + lit("/") + mm + lit("/") + dd;
    case 6:
      return dd + lit("/") + mm + lit("/") + yyyy;
    case 7: return yy + mm + dd;
    case 8:
      return mm + lit(".") + yyyy;
    case 9:
      return dd + lit(".") + mm + lit(".") + yyyy;
    case 10:
      return mon + lit(" ") + yyyy;
    default:
      return yyyy + lit(".") + mm;
  }
}

Code time_of_day(Builder& b) {
  Rng& r = b.rng();
  Code t = b.number(two(r.integer(0, 23))) + lit(":") + b.number(two(r.integer(0, 59)));
  if (r.chance(0.3)) t = t + lit(":") + b.number(two(r.integer(0, 59)));
  return t;
}

Code part(Builder& b) {
  Rng& r = b.rng();
  const std::string s = b.sep({r.chance(0.6) ? "-" : (r.chance(0.5) ? "." : "/"), "-", ".", "/"});
  const int groups = r.integer(2, 4);
  Code out;
  for (int g = 0; g < groups; ++g) {
    if (g) out = out + lit(s);
    const int n = r.integer(2, 5);
    out = out + (r.chance(0.5) ? b.digits(n)
                               : (r.chance(0.5) ? b.alnums(n) : b.letters(1) + b.digits(n - 1)));
  }
  return out;
}

Code lot(Builder& b) {
  Rng& r = b.rng();
  static const std::vector<std::string> kPrefixes = {
      "LOT", "SN", "S/N", "EXP", "P/N", "MFG", "REF", "BATCH", "LOT:", "SN:", "MFD", "USE BY", "BB", "L", "PN", "QTY"};
  std::vector<std::string> ok;
  for (const auto& p : kPrefixes)
    if (b.has_all(p)) ok.push_back(p);
  if (ok.empty()) return serial(b);
  const std::string p = r.pick(ok);
  Code v;
  if (p == "EXP" || p == "MFG" || p == "MFD" || p == "USE BY" || p == "BB") {
    v = date(b);
  } else if (p == "P/N" || p == "PN" || p == "REF") {
    v = part(b);
  } else if (p == "QTY") {
    v = b.digits(r.integer(1, 4));
  } else {
    v = serial(b);
  }
  return lit(p + " ") + v;
}

Code random_string(Builder& b) {
  Rng& r = b.rng();
  Code s;
  const int n = r.integer(3, 14);
  for (int i = 0; i < n; ++i) s = s + b.any();
  if (n > 6 && r.chance(0.3)) s.text.insert(static_cast<std::size_t>(r.integer(2, 4)), " ");
  return s;
}

Code reading(Builder& b) {
  Rng& r = b.rng();
  switch (r.integer(0, 6)) {
    case 0:
      return b.digits(r.integer(1, 3)) + lit(".") + b.digits(r.integer(1, 3));
    case 1:
      return lit("-") + b.digits(r.integer(1, 2)) + lit(".") + b.digits(r.integer(1, 2));
    case 2: return time_of_day(b);
    case 3:
      return b.letters(1) + lit("-") + b.digits(2);
    case 4: return b.digits(r.integer(3, 6));
    case 5:
      return b.digits(r.integer(1, 4)) + lit(" ") + b.letters(r.integer(1, 2));
    default:
      return b.digits(r.integer(1, 2)) + lit(".") + b.digits(1) + lit(" ") +
             b.digits(r.integer(2, 3));
  }
}

// Replaces characters the alphabet lacks by one of its own (same class when it
// has one) and normalises spaces, so every drawn character is drawable. A
// replaced character's atom becomes the class it was drawn from.
Code sanitise(Builder& b, const Alphabet& a, const Code& in, int max_chars) {
  Code out;
  int n = 0;
  std::size_t atom = 0;
  for (std::string cp : code_points(in.text)) {
    if (cp == " ") {
      if (!out.text.empty() && out.text.back() != ' ') out.text += ' ';
      continue;
    }
    const std::string kept = atom < in.atoms.size() ? in.atoms[atom] : literal_atom(cp);
    ++atom;
    if (n >= max_chars) break;
    std::string format = kept;
    if (!a.has(cp)) {
      const unsigned char c = static_cast<unsigned char>(cp[0]);
      const bool is_digit = cp.size() == 1 && std::isdigit(c);
      const bool is_alpha = cp.size() == 1 && std::isalpha(c);
      const Code drawn = is_digit ? b.digit() : (is_alpha ? b.letter() : b.any());
      cp = drawn.text;
      format = drawn.atoms.back();
    }
    out.text += cp;
    out.atoms.push_back(format);
    ++n;
  }
  while (!out.text.empty() && out.text.back() == ' ') out.text.pop_back();
  return out;
}

}  // namespace

std::string literal_atom(const std::string& cp) {
  const unsigned char c = cp.empty() ? 0 : static_cast<unsigned char>(cp[0]);
  if (cp.size() == 1 && c < 0x80 && !std::isalnum(c)) return "\\" + cp;
  return cp;
}

std::string format_pattern(const std::vector<std::string>& atoms) {
  std::string out;
  for (std::size_t i = 0; i < atoms.size();) {
    std::size_t j = i + 1;
    while (j < atoms.size() && atoms[j] == atoms[i]) ++j;
    const std::size_t n = j - i;
    // A class repeated is counted; a literal is written out (up to a few).
    const bool is_class =
        atoms[i] == "." ||
        (atoms[i].size() > 1 &&
         (atoms[i][0] == '[' ||
          (atoms[i][0] == '\\' && std::isalpha(static_cast<unsigned char>(atoms[i][1])))));
    if (n > 1 && is_class) {
      out += atoms[i] + "{" + std::to_string(n) + "}";
    } else {
      for (std::size_t k = i; k < j; ++k) out += atoms[k];
    }
    i = j;
  }
  return out;
}

Code make_code(Rng& rng, const Alphabet& alpha, Style style, int max_chars) {
  Builder b(rng, alpha);
  // Weights of serial, lot, date, part, random, reading, time per style: what
  // each marking technology typically carries.
  std::vector<double> w;
  switch (style) {
    case Style::kSegment: w = {0.08, 0.0, 0.05, 0.0, 0.12, 0.6, 0.15}; break;
    case Style::kDotMatrix: w = {0.2, 0.3, 0.25, 0.1, 0.1, 0.0, 0.05}; break;
    case Style::kEtched: w = {0.3, 0.15, 0.1, 0.3, 0.15, 0.0, 0.0}; break;
    case Style::kStamped: w = {0.35, 0.1, 0.2, 0.2, 0.15, 0.0, 0.0}; break;
    default: w = {0.2, 0.25, 0.2, 0.2, 0.15, 0.0, 0.0}; break;
  }
  // A format that does not fit is drawn again (a few times) rather than cut, so
  // dates and prefixed fields stay whole where the line has room for them.
  Code s;
  for (int attempt = 0; attempt < 4; ++attempt) {
    switch (rng.weighted(w)) {
      case 0: s = serial(b); break;
      case 1: s = lot(b); break;
      case 2: s = date(b); break;
      case 3: s = part(b); break;
      case 4: s = random_string(b); break;
      case 5: s = reading(b); break;
      default: s = time_of_day(b); break;
    }
    int n = 0;
    for (char c : s.text) n += (c != ' ' && (static_cast<unsigned char>(c) & 0xC0) != 0x80) ? 1 : 0;
    if (n <= max_chars) break;
  }
  s = sanitise(b, alpha, s, std::max(1, max_chars));
  if (s.text.empty()) s = b.any();
  return s;
}

}  // namespace ocr2s::synth
