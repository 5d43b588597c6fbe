// nac's HLS templates: a dense layer, latency strategy (io_parallel). Written by nac; the
// arithmetic is hls4ml's: each product converted to accum_t, the bias converted to accum_t, the
// products added in input order, each sum converted to accum_t, the result converted to res_T.
// The C result does not depend on the reuse factor (it only limits the multipliers).
#ifndef NAC_NNET_DENSE_H
#define NAC_NNET_DENSE_H

#include "nnet_common.h"

namespace nnet {

struct dense_config {
  static const unsigned n_in = 1, n_out = 1, reuse_factor = 1, n_zeros = 0;
};

// weights[i * n_out + j]: input i's weight of output j (input-major, as hls4ml lays them out).
template <class data_T, class res_T, typename CONFIG_T>
void dense(data_T data[CONFIG_T::n_in], res_T res[CONFIG_T::n_out],
           const typename CONFIG_T::weight_t weights[CONFIG_T::n_in * CONFIG_T::n_out],
           const typename CONFIG_T::bias_t biases[CONFIG_T::n_out]) {
  typename CONFIG_T::accum_t mult[CONFIG_T::n_in * CONFIG_T::n_out];
  typename CONFIG_T::accum_t acc[CONFIG_T::n_out];
NAC_HLS_PRAGMA(HLS ARRAY_PARTITION variable = mult complete)
NAC_HLS_PRAGMA(HLS ARRAY_PARTITION variable = acc complete)
NAC_HLS_PRAGMA(HLS PIPELINE II = CONFIG_T::reuse_factor)
NAC_HLS_PRAGMA(HLS ALLOCATION operation instances = mul limit = CONFIG_T::multiplier_limit)
  for (unsigned i = 0; i < CONFIG_T::n_in; i++)
    for (unsigned j = 0; j < CONFIG_T::n_out; j++) mult[i * CONFIG_T::n_out + j] = data[i] * weights[i * CONFIG_T::n_out + j];
  for (unsigned j = 0; j < CONFIG_T::n_out; j++) acc[j] = (typename CONFIG_T::accum_t)biases[j];
  for (unsigned i = 0; i < CONFIG_T::n_in; i++)
    for (unsigned j = 0; j < CONFIG_T::n_out; j++) acc[j] += mult[i * CONFIG_T::n_out + j];
  for (unsigned j = 0; j < CONFIG_T::n_out; j++) res[j] = (res_T)acc[j];
}

}  // namespace nnet

#endif
