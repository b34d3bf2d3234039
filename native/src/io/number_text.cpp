#include "tk/number_text.h"

#include <charconv>
#include <system_error>

namespace tk::text {
namespace {

inline bool is_space(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }
inline bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Reads the JSON number at i (grammar -?(0|[1-9]d*)(.d+)?([eE][+-]?d+)?) into v and returns its
// end, or npos. from_chars parses (correctly rounded); the checks keep what JSON forbids and
// from_chars accepts (inf, nan, 01, 1.) out.
size_t read_number(const char* s, size_t n, size_t i, double& v) {
  size_t j = i;
  if (j < n && s[j] == '-') ++j;
  if (j >= n || !is_digit(s[j])) return std::string_view::npos;  // also refuses inf, nan, .5, +1
  if (s[j] == '0' && j + 1 < n && is_digit(s[j + 1])) return std::string_view::npos;  // 01
  auto r = std::from_chars(s + i, s + n, v);
  if (r.ec != std::errc()) return std::string_view::npos;  // out of double range: JSON.parse's judgement
  const size_t end = size_t(r.ptr - s);
  while (j < end && is_digit(s[j])) ++j;  // the integer part; then ".d" if a fraction follows
  if (j < end && s[j] == '.' && (j + 1 >= end || !is_digit(s[j + 1]))) return std::string_view::npos;
  return end;
}

// Past the string whose opening quote is at i (escapes skipped), or n if it never closes.
size_t string_end(const char* s, size_t n, size_t i) {
  for (++i; i < n; ++i) {
    if (s[i] == '\\') {
      ++i;
    } else if (s[i] == '"') {
      return i + 1;
    }
  }
  return n;
}

// Reads the array whose '[' is at i: numbers, commas and nested brackets only. On success appends
// the values, sets `end` past the closing ']' and returns true; otherwise leaves `out` as it was.
bool read_array(const char* s, size_t n, size_t i, std::vector<double>& out, size_t& end) {
  const size_t mark = out.size();
  int depth = 0;
  bool want_value = true;  // after '[' or ',': a value must come (and ']' only right after '[')
  bool just_opened = false;
  while (i < n) {
    const char c = s[i];
    if (is_space(c)) {
      ++i;
    } else if (c == '[') {
      if (!want_value) break;
      ++depth;
      ++i;
      just_opened = true;
    } else if (c == ']') {
      if (want_value && !just_opened) break;  // "[1,]"
      --depth;
      ++i;
      want_value = false;
      just_opened = false;
      if (depth == 0) {
        end = i;
        return true;
      }
    } else if (c == ',') {
      if (want_value || depth == 0) break;
      ++i;
      want_value = true;
      just_opened = false;
    } else {
      if (!want_value) break;
      double v = 0;
      const size_t e = read_number(s, n, i, v);
      if (e == std::string_view::npos) break;
      out.push_back(v);
      i = e;
      want_value = false;
      just_opened = false;
    }
  }
  out.resize(mark);
  return false;
}

}  // namespace

NumberArrays find_number_arrays(const char* s, size_t n, std::string_view key) {
  NumberArrays r;
  r.values.reserve(n / 8);  // a number and its comma take at least 2 bytes; most JSON floats take 10-20
  size_t i = 0;
  while (i < n) {
    const char c = s[i];
    if (c != '"') {
      ++i;
      continue;
    }
    const size_t start = i;
    i = string_end(s, n, i);
    // A member name is a string followed by ':'; is it `key` (unescaped)?
    size_t j = i;
    while (j < n && is_space(s[j])) ++j;
    if (j >= n || s[j] != ':') continue;
    const bool match = i - start == key.size() + 2 && std::string_view(s + start + 1, key.size()) == key;
    if (!match) continue;
    ++j;
    while (j < n && is_space(s[j])) ++j;
    if (j >= n || s[j] != '[') continue;
    NumberArray a;
    a.begin = j;
    a.first = r.values.size();
    if (read_array(s, n, j, r.values, a.end)) {
      a.count = r.values.size() - a.first;
      r.arrays.push_back(a);
      i = a.end;
    }
    // else: scanning goes on inside the array, where strings are skipped as strings
  }
  return r;
}

}  // namespace tk::text
