// nac's HLS templates: layer norm over all values of a sample (channels last). Sums exact in sum_t
// and sq_sum_t; 1/sqrt(var + eps) from a table indexed by the variance's raw bits shifted right by
// the fewest pairs of bits (h) that fit the table, times 2^-h (a table of powers of two), exact.
#ifndef NAC_NNET_LAYERNORM_H
#define NAC_NNET_LAYERNORM_H

#include "nnet_common.h"

namespace nnet {

template <class data_T, class res_T, typename CONFIG_T>
void layernorm(data_T data[CONFIG_T::n_in], res_T res[CONFIG_T::n_in],
               const typename CONFIG_T::scale_t scale[CONFIG_T::n_in],
               const typename CONFIG_T::bias_t bias[CONFIG_T::n_in],
               const typename CONFIG_T::table_t table[CONFIG_T::table_size],
               const typename CONFIG_T::unscale_t unscale[CONFIG_T::max_half + 1], const typename CONFIG_T::k_t k_inv) {
  NAC_HLS_PRAGMA(HLS PIPELINE)
  typedef typename CONFIG_T::mean_t mean_t;
  typedef typename CONFIG_T::var_t var_t;
  typename CONFIG_T::sum_t sum = 0;
  for (unsigned i = 0; i < CONFIG_T::n_in; i++) sum += data[i];
  const mean_t mean = sum * k_inv;
  mean_t diff[CONFIG_T::n_in];
  typename CONFIG_T::sq_sum_t squares = 0;
  for (unsigned i = 0; i < CONFIG_T::n_in; i++) {
    diff[i] = data[i] - mean;
    squares += diff[i] * diff[i];
  }
  const var_t var = squares * k_inv;
  const unsigned v = var.range(var_t::width - 1, 0).to_uint();
  unsigned half = 0;
  for (unsigned h = 0; h < CONFIG_T::max_half; h++)
    if ((v >> (CONFIG_T::table_bits + 2 * h)) != 0) half = h + 1;
  const typename CONFIG_T::table_t t = table[v >> (2 * half)];
  for (unsigned i = 0; i < CONFIG_T::n_in; i++) res[i] = (res_T)(diff[i] * (t * unscale[half]) * scale[i] + bias[i]);
}

}  // namespace nnet

#endif
