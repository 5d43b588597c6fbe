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

}  // namespace nnet

#endif
