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

class Builder {
 public:
  Builder(Rng& rng, const Alphabet& a) : rng_(rng), a_(a) {}

  std::string digit() { return a_.digits.empty() ? any() : rng_.pick(a_.digits); }
  std::string letter() { return a_.letters.empty() ? any() : rng_.pick(a_.letters); }
  std::string any() { return a_.all.empty() ? std::string("0") : rng_.pick(a_.all); }
  std::string alnum() {
    const bool d = !a_.digits.empty() && (a_.letters.empty() || rng_.chance(0.6));
    return d ? digit() : letter();
  }
  std::string digits(int n) {
    std::string s;
    for (int i = 0; i < n; ++i) s += digit();
    return s;
  }
  std::string letters(int n) {
    std::string s;
    for (int i = 0; i < n; ++i) s += letter();
    return s;
  }
  std::string alnums(int n) {
    std::string s;
    for (int i = 0; i < n; ++i) s += alnum();
    return s;
  }
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

 private:
  Rng& rng_;
  const Alphabet& a_;
};

std::string two(int v) {
  char b[8];
  std::snprintf(b, sizeof b, "%02d", v);
  return b;
}

std::string serial(Builder& b) {
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

std::string date(Builder& b) {
  Rng& r = b.rng();
  const int y = r.integer(1998, 2039), m = r.integer(1, 12), d = r.integer(1, 28);
  const std::string yyyy = std::to_string(y), yy = two(y % 100), mm = two(m), dd = two(d);
  const std::string mon = kMonths[m - 1];
  switch (r.integer(0, 11)) {
    case 0: return yyyy + "-" + mm + "-" + dd;
    case 1: return dd + "." + mm + "." + yy;
    case 2: return mm + "/" + yyyy;
    case 3: return mon + yy;
    case 4: return dd + mon + yyyy;
    case 5: return yyyy + "/" + mm + "/" + dd;
    case 6: return dd + "/" + mm + "/" + yyyy;
    case 7: return yy + mm + dd;
    case 8: return mm + "." + yyyy;
    case 9: return dd + "." + mm + "." + yyyy;
    case 10: return mon + " " + yyyy;
    default: return yyyy + "." + mm;
  }
}

std::string time_of_day(Builder& b) {
  Rng& r = b.rng();
  std::string t = two(r.integer(0, 23)) + ":" + two(r.integer(0, 59));
  if (r.chance(0.3)) t += ":" + two(r.integer(0, 59));
  return t;
}

std::string part(Builder& b) {
  Rng& r = b.rng();
  const std::string s = b.sep({r.chance(0.6) ? "-" : (r.chance(0.5) ? "." : "/"), "-", ".", "/"});
  const int groups = r.integer(2, 4);
  std::string out;
  for (int g = 0; g < groups; ++g) {
    if (g) out += s;
    const int n = r.integer(2, 5);
    out += r.chance(0.5) ? b.digits(n) : (r.chance(0.5) ? b.alnums(n) : b.letters(1) + b.digits(n - 1));
  }
  return out;
}

std::string lot(Builder& b) {
  Rng& r = b.rng();
  static const std::vector<std::string> kPrefixes = {
      "LOT", "SN", "S/N", "EXP", "P/N", "MFG", "REF", "BATCH", "LOT:", "SN:", "MFD", "USE BY", "BB", "L", "PN", "QTY"};
  std::vector<std::string> ok;
  for (const auto& p : kPrefixes)
    if (b.has_all(p)) ok.push_back(p);
  if (ok.empty()) return serial(b);
  const std::string p = r.pick(ok);
  std::string v;
  if (p == "EXP" || p == "MFG" || p == "MFD" || p == "USE BY" || p == "BB") {
    v = date(b);
  } else if (p == "P/N" || p == "PN" || p == "REF") {
    v = part(b);
  } else if (p == "QTY") {
    v = b.digits(r.integer(1, 4));
  } else {
    v = serial(b);
  }
  return p + " " + v;
}

std::string random_string(Builder& b) {
  Rng& r = b.rng();
  std::string s;
  const int n = r.integer(3, 14);
  for (int i = 0; i < n; ++i) s += b.any();
  if (n > 6 && r.chance(0.3)) s.insert(static_cast<std::size_t>(r.integer(2, 4)), " ");
  return s;
}

std::string reading(Builder& b) {
  Rng& r = b.rng();
  switch (r.integer(0, 6)) {
    case 0: return b.digits(r.integer(1, 3)) + "." + b.digits(r.integer(1, 3));
    case 1: return "-" + b.digits(r.integer(1, 2)) + "." + b.digits(r.integer(1, 2));
    case 2: return time_of_day(b);
    case 3: return b.letters(1) + "-" + b.digits(2);
    case 4: return b.digits(r.integer(3, 6));
    case 5: return b.digits(r.integer(1, 4)) + " " + b.letters(r.integer(1, 2));
    default: return b.digits(r.integer(1, 2)) + "." + b.digits(1) + " " + b.digits(r.integer(2, 3));
  }
}

// Replaces characters the alphabet lacks by one of its own (same class when it
// has one) and normalises spaces, so every drawn character is drawable.
std::string sanitise(Builder& b, const Alphabet& a, const std::string& in, int max_chars) {
  std::string out;
  int n = 0;
  std::size_t i = 0;
  while (i < in.size()) {
    const unsigned char c = static_cast<unsigned char>(in[i]);
    const std::size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : 4;
    std::string cp = in.substr(i, len);
    i += len;
    if (cp == " ") {
      if (!out.empty() && out.back() != ' ') out += ' ';
      continue;
    }
    if (n >= max_chars) break;
    if (!a.has(cp)) {
      const bool is_digit = cp.size() == 1 && std::isdigit(c);
      const bool is_alpha = cp.size() == 1 && std::isalpha(c);
      cp = is_digit ? b.digit() : (is_alpha ? b.letter() : b.any());
    }
    out += cp;
    ++n;
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

}  // namespace

std::string make_code(Rng& rng, const Alphabet& alpha, Style style, int max_chars) {
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
  std::string s;
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
    for (char c : s) n += (c != ' ' && (static_cast<unsigned char>(c) & 0xC0) != 0x80) ? 1 : 0;
    if (n <= max_chars) break;
  }
  s = sanitise(b, alpha, s, std::max(1, max_chars));
  if (s.empty()) s = b.any();
  return s;
}

}  // namespace ocr2s::synth
