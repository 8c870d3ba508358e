#include "core/utf8.hpp"

namespace ocr2s {
namespace {

constexpr char32_t kReplacement = 0xFFFD;

bool is_continuation(unsigned char b) {
  return (b & 0xC0u) == 0x80u;
}

void append_utf8(std::string& out, char32_t cp) {
  if ((cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) cp = kReplacement;
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

}  // namespace

// Well-formed sequences are those of RFC 3629 §4 (Unicode Standard, Table 3-7): the
// second byte's range depends on the lead byte so that overlong forms, surrogates
// and values above U+10FFFF are rejected without decoding them first. An invalid
// sequence is replaced by one U+FFFD per maximal subpart (Unicode Standard §3.9,
// "U+FFFD Substitution of Maximal Subparts"), the practice WHATWG's decoder follows.
char32_t utf8_next(std::string_view text, std::size_t& pos, bool* valid) {
  const auto lead = static_cast<unsigned char>(text[pos]);
  auto fail = [&](std::size_t consumed) {
    pos += consumed;
    if (valid != nullptr) *valid = false;
    return kReplacement;
  };
  if (lead < 0x80) {
    ++pos;
    if (valid != nullptr) *valid = true;
    return lead;
  }
  int length = 0;
  char32_t cp = 0;
  unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
    cp = lead & 0x1Fu;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    cp = lead & 0x0Fu;
    if (lead == 0xE0) lo = 0xA0;  // overlong below U+0800
    if (lead == 0xED) hi = 0x9F;  // surrogates U+D800..U+DFFF
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    cp = lead & 0x07u;
    if (lead == 0xF0) lo = 0x90;  // overlong below U+10000
    if (lead == 0xF4) hi = 0x8F;  // above U+10FFFF
  } else {
    return fail(1);  // continuation byte without a lead, C0, C1 or F5..FF
  }
  for (int k = 1; k < length; ++k) {
    if (pos + k >= text.size()) return fail(static_cast<std::size_t>(k));
    const auto b = static_cast<unsigned char>(text[pos + k]);
    const bool ok = k == 1 ? (b >= lo && b <= hi) : is_continuation(b);
    if (!ok) return fail(static_cast<std::size_t>(k));
    cp = (cp << 6) | (b & 0x3Fu);
  }
  pos += static_cast<std::size_t>(length);
  if (valid != nullptr) *valid = true;
  return cp;
}

std::string utf8_encode(char32_t cp) {
  std::string out;
  append_utf8(out, cp);
  return out;
}

std::vector<std::string> utf8_split(std::string_view text) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t start = pos;
    bool valid = true;
    const char32_t cp = utf8_next(text, pos, &valid);
    if (valid) {
      out.emplace_back(text.substr(start, pos - start));
    } else {
      std::string r;
      append_utf8(r, cp);
      out.push_back(std::move(r));
    }
  }
  return out;
}

std::string utf8_join(const std::vector<std::string>& labels) {
  std::size_t n = 0;
  for (const auto& l : labels) n += l.size();
  std::string out;
  out.reserve(n);
  for (const auto& l : labels) out += l;
  return out;
}

std::string strip_spaces(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    // ASCII whitespace as std::isspace in the "C" locale, without its locale lookup.
    if (c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r') continue;
    out.push_back(c);
  }
  return out;
}

}  // namespace ocr2s
