// nac's HLS templates: element-wise layers. relu and leaky relu as hls4ml computes them (the
// slope in param_t), and a plain conversion (flatten, dropout and identity after export).
#ifndef NAC_NNET_ACTIVATION_H
#define NAC_NNET_ACTIVATION_H

#include "nnet_common.h"

namespace nnet {

struct activ_config {
  static const unsigned n_in = 1;
};

template <class data_T, class res_T, typename CONFIG_T>
void relu(data_T data[CONFIG_T::n_in], res_T res[CONFIG_T::n_in]) {
NAC_HLS_PRAGMA(HLS PIPELINE)
  for (unsigned i = 0; i < CONFIG_T::n_in; i++) res[i] = data[i] > 0 ? (res_T)data[i] : (res_T)0;
}

template <class data_T, class res_T, typename CONFIG_T>
void leaky_relu(data_T data[CONFIG_T::n_in], const typename CONFIG_T::param_t alpha, res_T res[CONFIG_T::n_in]) {
NAC_HLS_PRAGMA(HLS PIPELINE)
  for (unsigned i = 0; i < CONFIG_T::n_in; i++) res[i] = data[i] > 0 ? (res_T)data[i] : (res_T)(alpha * data[i]);
}

template <class data_T, class res_T, typename CONFIG_T>
void convert(data_T data[CONFIG_T::n_in], res_T res[CONFIG_T::n_in]) {
NAC_HLS_PRAGMA(HLS PIPELINE)
  for (unsigned i = 0; i < CONFIG_T::n_in; i++) res[i] = (res_T)data[i];
}

// The index of x in a table of table_size entries over [-range/2, range/2): to_int(x * table_size
// / range) + table_size / 2 (toward zero), clamped.
template <class data_T, typename CONFIG_T>
int table_index(const data_T& x) {
  int index = (x * int(CONFIG_T::table_size / CONFIG_T::table_range)).to_int() + int(CONFIG_T::table_size / 2);
  if (index < 0) index = 0;
  if (index > int(CONFIG_T::table_size) - 1) index = CONFIG_T::table_size - 1;
  return index;
}

// sigmoid and tanh through a table (range 16 for sigmoid, 8 for tanh): res = res_T(table[index]).
template <class data_T, class res_T, typename CONFIG_T>
void lookup_activation(data_T data[CONFIG_T::n_in], res_T res[CONFIG_T::n_in],
                       const typename CONFIG_T::table_t table[CONFIG_T::table_size]) {
  NAC_HLS_PRAGMA(HLS PIPELINE)
  for (unsigned i = 0; i < CONFIG_T::n_in; i++) res[i] = (res_T)table[table_index<data_T, CONFIG_T>(data[i])];
}

// GELU = x Phi(x), Phi through a table indexed as sigmoid's (range 16), each entry Phi at the
// middle of the inputs that reach it: res = res_T(x * table[index]), the product exact.
template <class data_T, class res_T, typename CONFIG_T>
void gelu_activation(data_T data[CONFIG_T::n_in], res_T res[CONFIG_T::n_in],
                     const typename CONFIG_T::table_t table[CONFIG_T::table_size]) {
  NAC_HLS_PRAGMA(HLS PIPELINE)
  for (unsigned i = 0; i < CONFIG_T::n_in; i++)
    res[i] = (res_T)(data[i] * table[table_index<data_T, CONFIG_T>(data[i])]);
}

// hls4ml's stable softmax: d = inp_norm_t(x_max - x); e = exp_table[top bits of d] (exp(-d));
// the sum of the e in accum_t, converted to inv_inp_t; inv = inv_table[its top bits]; e * inv.
template <class data_T, class res_T, typename CONFIG_T>
void softmax_stable(data_T data[CONFIG_T::n_in], res_T res[CONFIG_T::n_in],
                    const typename CONFIG_T::exp_table_t exp_table[CONFIG_T::exp_table_size],
                    const typename CONFIG_T::inv_table_t inv_table[CONFIG_T::inv_table_size]) {
  NAC_HLS_PRAGMA(HLS PIPELINE)
  typedef typename CONFIG_T::inp_norm_t norm_t;
  typedef typename CONFIG_T::inv_inp_t inv_inp_t;
  data_T x_max = data[0];
  for (unsigned i = 1; i < CONFIG_T::n_in; i++)
    if (data[i] > x_max) x_max = data[i];
  typename CONFIG_T::exp_table_t e[CONFIG_T::n_in];
  typename CONFIG_T::accum_t sum = 0;
  for (unsigned i = 0; i < CONFIG_T::n_in; i++) {
    const norm_t d = x_max - data[i];
    e[i] = exp_table[d.range(norm_t::width - 1, norm_t::width - CONFIG_T::exp_bits).to_uint()];
    sum += e[i];
  }
  const inv_inp_t s = sum;
  const typename CONFIG_T::inv_table_t inv = inv_table[s.range(inv_inp_t::width - 1, inv_inp_t::width - CONFIG_T::inv_bits).to_uint()];
  for (unsigned i = 0; i < CONFIG_T::n_in; i++) res[i] = (res_T)(e[i] * inv);
}

}  // namespace nnet

#endif
