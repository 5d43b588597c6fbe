// nac's HLS templates: 2-d max and average pooling, channels last, and a set's aggregation. Windows reach at most half a kernel into
// the padding, so every window holds a real pixel and padded cells never win; they are skipped.
#ifndef NAC_NNET_POOLING_H
#define NAC_NNET_POOLING_H

#include "nnet_common.h"

namespace nnet {

template <class data_T, class res_T, typename CONFIG_T>
void pooling2d_max_cl(data_T data[CONFIG_T::in_height * CONFIG_T::in_width * CONFIG_T::n_filt],
                      res_T res[CONFIG_T::out_height * CONFIG_T::out_width * CONFIG_T::n_filt]) {
NAC_HLS_PRAGMA(HLS PIPELINE)
  for (unsigned r = 0; r < CONFIG_T::out_height; r++)
    for (unsigned q = 0; q < CONFIG_T::out_width; q++)
      for (unsigned c = 0; c < CONFIG_T::n_filt; c++) {
        bool first = true;
        data_T best = 0;
        for (unsigned kr = 0; kr < CONFIG_T::pool_height; kr++)
          for (unsigned kq = 0; kq < CONFIG_T::pool_width; kq++) {
            const int ir = int(r * CONFIG_T::stride_height + kr) - int(CONFIG_T::pad_top);
            const int iq = int(q * CONFIG_T::stride_width + kq) - int(CONFIG_T::pad_left);
            if (ir < 0 || ir >= int(CONFIG_T::in_height) || iq < 0 || iq >= int(CONFIG_T::in_width)) continue;
            const data_T v = data[(ir * CONFIG_T::in_width + iq) * CONFIG_T::n_filt + c];
            if (first || v > best) best = v;
            first = false;
          }
        res[(r * CONFIG_T::out_width + q) * CONFIG_T::n_filt + c] = (res_T)best;
      }
}

// Average pooling as hls4ml's: the window's sum in accum_t (padding adds nothing), divided by the
// window's size (nac counts the padding), the quotient truncated toward zero.
template <class data_T, class res_T, typename CONFIG_T>
void pooling2d_avg_cl(data_T data[CONFIG_T::in_height * CONFIG_T::in_width * CONFIG_T::n_filt],
                      res_T res[CONFIG_T::out_height * CONFIG_T::out_width * CONFIG_T::n_filt]) {
  NAC_HLS_PRAGMA(HLS PIPELINE)
  for (unsigned r = 0; r < CONFIG_T::out_height; r++)
    for (unsigned q = 0; q < CONFIG_T::out_width; q++)
      for (unsigned c = 0; c < CONFIG_T::n_filt; c++) {
        typename CONFIG_T::accum_t sum = 0;
        for (unsigned kr = 0; kr < CONFIG_T::pool_height; kr++)
          for (unsigned kq = 0; kq < CONFIG_T::pool_width; kq++) {
            const int ir = int(r * CONFIG_T::stride_height + kr) - int(CONFIG_T::pad_top);
            const int iq = int(q * CONFIG_T::stride_width + kq) - int(CONFIG_T::pad_left);
            if (ir < 0 || ir >= int(CONFIG_T::in_height) || iq < 0 || iq >= int(CONFIG_T::in_width)) continue;
            sum += data[(ir * CONFIG_T::in_width + iq) * CONFIG_T::n_filt + c];
          }
        sum = sum / (unsigned)(CONFIG_T::pool_height * CONFIG_T::pool_width);
        res[(r * CONFIG_T::out_width + q) * CONFIG_T::n_filt + c] = (res_T)sum;
      }
}

// A set's aggregation (Deep Sets), n_elem elements of n_feat features one after the other: op 2
// the max; op 1 the sum in accum_t; op 0 the mean, that sum divided by n_elem and truncated toward
// zero, as hls4ml's global average pooling.
template <class data_T, class res_T, typename CONFIG_T>
void set_pool_cl(data_T data[CONFIG_T::n_elem * CONFIG_T::n_feat], res_T res[CONFIG_T::n_feat]) {
  NAC_HLS_PRAGMA(HLS PIPELINE)
  for (unsigned c = 0; c < CONFIG_T::n_feat; c++) {
    if (CONFIG_T::op == 2) {
      data_T best = data[c];
      for (unsigned e = 1; e < CONFIG_T::n_elem; e++)
        if (data[e * CONFIG_T::n_feat + c] > best) best = data[e * CONFIG_T::n_feat + c];
      res[c] = (res_T)best;
    } else {
      typename CONFIG_T::accum_t sum = 0;
      for (unsigned e = 0; e < CONFIG_T::n_elem; e++) sum += data[e * CONFIG_T::n_feat + c];
      if (CONFIG_T::op == 0) sum = sum / (unsigned)CONFIG_T::n_elem;
      res[c] = (res_T)sum;
    }
  }
}

}  // namespace nnet

#endif
