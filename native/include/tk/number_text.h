// Reading the number arrays of a JSON text without a general JSON parser: what the model server's
// KServe v2 codec needs, where a request is mostly one long array of numbers ("data": [...]) and
// JSON.parse spends most of the request's time building a JS array of it. Node-free.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace tk::text {

// One array found: its bytes [begin, end) in the text ('[' to one past ']'), and its values.
struct NumberArray {
  size_t begin = 0;
  size_t end = 0;
  size_t first = 0;  // index of its first value in NumberArrays::values
  size_t count = 0;
};

struct NumberArrays {
  std::vector<NumberArray> arrays;
  std::vector<double> values;  // every array's values, flattened in text order
};

// Finds the value of each member named `key` that is an array of JSON numbers (nested arrays of
// numbers too, flattened row-major) and reads the numbers as JSON.parse would (correctly rounded
// doubles). Strings are skipped as strings, so a key inside a string value is not a member. An
// array holding anything else (a string, true, null, an object), a number JSON does not allow
// (NaN, +1, 01, .5) or one out of double range is left out, for the caller's JSON parser to judge.
// Malformed text only makes arrays be left out: this never reads past n and never recurses.
NumberArrays find_number_arrays(const char* s, size_t n, std::string_view key);

}  // namespace tk::text
