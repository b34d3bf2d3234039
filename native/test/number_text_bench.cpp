// Times tk::text::find_number_arrays (the model server's JSON fast path) on a KServe v2 body of
// 784 floats written with 17 significant digits, against std::from_chars alone on the same text.
//   build-test/tk_number_text_bench      (built by npm run test:native)
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <string>

#include "tk/number_text.h"

int main() {
  std::string s = R"({"inputs":[{"name":"input0","datatype":"FP32","shape":[1,784],"data":[)";
  char buf[64];
  for (int i = 0; i < 784; i++) {
    auto r = std::to_chars(buf, buf + sizeof buf, std::sin(i));
    s.append(buf, r.ptr);
    if (i < 783) s += ',';
  }
  s += "]}]}";
  const int reps = 4000;
  size_t total = 0;
  auto t0 = std::chrono::steady_clock::now();
  for (int k = 0; k < reps; k++) total += tk::text::find_number_arrays(s.data(), s.size(), "data").values.size();
  auto t1 = std::chrono::steady_clock::now();
  const double scan = std::chrono::duration<double, std::nano>(t1 - t0).count() / double(total);
  double sum = 0;
  size_t n = 0;
  const size_t open = s.find("\"data\":[") + 8;
  t0 = std::chrono::steady_clock::now();
  for (int k = 0; k < reps; k++)
    for (const char *p = s.data() + open, *e = s.data() + s.size(); p < e && *p != ']'; ++n) {
      double v;
      auto r = std::from_chars(p, e, v);
      sum += v;
      p = r.ptr + 1;
    }
  t1 = std::chrono::steady_clock::now();
  const double fc = std::chrono::duration<double, std::nano>(t1 - t0).count() / double(n);
  std::printf("%zu-byte body, 784 numbers: find_number_arrays %.1f ns/number, from_chars alone %.1f ns/number (%g)\n",
              s.size(), scan, fc, sum);
}
