#include "nac/nn/runtime.hpp"

#include <omp.h>

#include "dnnl_util.hpp"
#include "nac/error.hpp"

namespace nac::nn {

void set_threads(int n) {
  if (n < 1) throw Error("threads must be at least 1, found " + std::to_string(n));
  omp_set_num_threads(n);
}

int threads() { return omp_get_max_threads(); }

namespace detail {

dnnl::engine& cpu_engine() {
  static dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

dnnl::stream& cpu_stream() {
  thread_local dnnl::stream stream(cpu_engine());  // streams are not thread-safe
  return stream;
}

void reorder(const dnnl::memory& from, const dnnl::memory& to) {
  dnnl::reorder(from, to).execute(cpu_stream(), const_cast<dnnl::memory&>(from), const_cast<dnnl::memory&>(to));
  cpu_stream().wait();
}

}  // namespace detail
}  // namespace nac::nn
