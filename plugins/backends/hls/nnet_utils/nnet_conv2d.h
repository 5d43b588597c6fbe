// nac's HLS templates: a 2-d convolution, channels last, io_parallel, latency strategy. Each
// output pixel gathers its window (kernel rows, then columns, then channels; zeros in the
// padding) and runs the dense arithmetic of nnet_dense.h on it (mult_config).
#ifndef NAC_NNET_CONV2D_H
#define NAC_NNET_CONV2D_H

#include "nnet_common.h"

#include "nnet_dense.h"

namespace nnet {

// data[(r * in_width + q) * n_chan + c]; res[(r * out_width + q) * n_filt + f];
// weights[((kr * filt_width + kq) * n_chan + c) * n_filt + f].
template <class data_T, class res_T, typename CONFIG_T>
void conv_2d_cl(data_T data[CONFIG_T::in_height * CONFIG_T::in_width * CONFIG_T::n_chan],
                res_T res[CONFIG_T::out_height * CONFIG_T::out_width * CONFIG_T::n_filt],
                const typename CONFIG_T::weight_t weights[CONFIG_T::filt_height * CONFIG_T::filt_width *
                                                          CONFIG_T::n_chan * CONFIG_T::n_filt],
                const typename CONFIG_T::bias_t biases[CONFIG_T::n_filt]) {
  const unsigned window = CONFIG_T::filt_height * CONFIG_T::filt_width * CONFIG_T::n_chan;
  for (unsigned r = 0; r < CONFIG_T::out_height; r++)
    for (unsigned q = 0; q < CONFIG_T::out_width; q++) {
NAC_HLS_PRAGMA(HLS PIPELINE II = CONFIG_T::reuse_factor rewind)
      data_T buffer[window];
      res_T out[CONFIG_T::n_filt];
NAC_HLS_PRAGMA(HLS ARRAY_PARTITION variable = buffer complete)
      for (unsigned kr = 0; kr < CONFIG_T::filt_height; kr++)
        for (unsigned kq = 0; kq < CONFIG_T::filt_width; kq++)
          for (unsigned c = 0; c < CONFIG_T::n_chan; c++) {
            const int ir = int(r * CONFIG_T::stride_height + kr) - int(CONFIG_T::pad_top);
            const int iq = int(q * CONFIG_T::stride_width + kq) - int(CONFIG_T::pad_left);
            const bool inside = ir >= 0 && ir < int(CONFIG_T::in_height) && iq >= 0 && iq < int(CONFIG_T::in_width);
            buffer[(kr * CONFIG_T::filt_width + kq) * CONFIG_T::n_chan + c] =
                inside ? data[(ir * CONFIG_T::in_width + iq) * CONFIG_T::n_chan + c] : data_T(0);
          }
      dense<data_T, res_T, typename CONFIG_T::mult_config>(buffer, out, weights, biases);
      for (unsigned f = 0; f < CONFIG_T::n_filt; f++) res[(r * CONFIG_T::out_width + q) * CONFIG_T::n_filt + f] = out[f];
    }
}

}  // namespace nnet

#endif
