#include "tk/number_text.h"

#include <charconv>
#include <system_error>

namespace tk::text {
namespace {

inline bool is_space(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }
inline bool is_digit(char c) { return c >= '0' && c <= '9'; }

// The end of a JSON number starting at i (grammar -?(0|[1-9]d*)(.d+)?([eE][+-]?d+)?), or npos.
size_t number_end(const char* s, size_t n, size_t i) {
  if (i < n && s[i] == '-') ++i;
  if (i >= n) return std::string_view::npos;
  if (s[i] == '0') {
    ++i;
  } else if (is_digit(s[i])) {
    while (i < n && is_digit(s[i])) ++i;
  } else {
    return std::string_view::npos;
  }
  if (i < n && s[i] == '.') {
    ++i;
    if (i >= n || !is_digit(s[i])) return std::string_view::npos;
    while (i < n && is_digit(s[i])) ++i;
  }
  if (i < n && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < n && (s[i] == '+' || s[i] == '-')) ++i;
    if (i >= n || !is_digit(s[i])) return std::string_view::npos;
    while (i < n && is_digit(s[i])) ++i;
  }
  return i;
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
      const size_t e = number_end(s, n, i);
      if (e == std::string_view::npos) break;
      double v = 0;
      auto r = std::from_chars(s + i, s + e, v);
      if (r.ec != std::errc() || r.ptr != s + e) break;  // out of range: JSON.parse's judgement
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
