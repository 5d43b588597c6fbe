// nac's HLS templates: batch normalisation as hls4ml computes it, x * scale + bias per channel
// (channels last), the product and the sum exact, then converted to res_T.
#ifndef NAC_NNET_BATCHNORM_H
#define NAC_NNET_BATCHNORM_H

#include "nnet_common.h"

namespace nnet {

template <class data_T, class res_T, typename CONFIG_T>
void normalize(data_T data[CONFIG_T::n_in], res_T res[CONFIG_T::n_in],
               const typename CONFIG_T::scale_t scale[CONFIG_T::n_filt],
               const typename CONFIG_T::bias_t bias[CONFIG_T::n_filt]) {
  NAC_HLS_PRAGMA(HLS PIPELINE)
  for (unsigned i = 0; i < CONFIG_T::n_in; i++)
    res[i] = (res_T)(data[i] * scale[i % CONFIG_T::n_filt] + bias[i % CONFIG_T::n_filt]);
}

}  // namespace nnet

#endif
